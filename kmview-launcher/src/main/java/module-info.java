/** The kmview command line. */
module kmview.launcher {
    requires kmview.core;
    requires info.picocli;
    requires org.apache.logging.log4j;
    requires org.apache.logging.log4j.core;
    requires jdk.unsupported;

    // Exported to all, so that in the runtime image this module is one of the boot layer's default
    // roots and bin/kmview can start it without -m (see there). log4j-api also creates the provider
    // that Logging names in the log4j2.provider property.
    exports org.kmview.launcher;
}
