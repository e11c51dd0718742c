/**
 * kmview's core: runs a program under the tracer and serves its system calls through the
 * services loaded into the view.
 */
module kmview.core {
    requires transitive kmview.spi;
    requires com.sun.jna;
    requires org.apache.logging.log4j;

    exports org.kmview.core;

    opens org.kmview.core.internal.nativeaccess to com.sun.jna;

    uses org.kmview.spi.ViewService;
}
