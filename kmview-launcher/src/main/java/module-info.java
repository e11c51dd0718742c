/** The kmview command line. */
module kmview.launcher {
    requires kmview.core;
    requires info.picocli;
    requires org.apache.logging.log4j;
    requires org.apache.logging.log4j.core;
    requires jdk.unsupported;
}
