/** The kmview command line. */
module kmview.launcher {
    requires kmview.core;
    requires info.picocli;
    requires org.apache.logging.log4j;
    requires org.apache.logging.log4j.core;
    requires jdk.unsupported;

    // log4j-api creates the provider that Logging names in the log4j2.provider property.
    exports org.kmview.launcher to org.apache.logging.log4j;
}
