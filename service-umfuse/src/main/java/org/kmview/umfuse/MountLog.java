package org.kmview.umfuse;

import java.util.function.Supplier;

import org.kmview.spi.ServiceContext;

/**
 * The debug log lines of one mount, each prefixed with the type and mount point. Events (mount,
 * materialisation, write-back) are written only with {@code -o debug}. Errors are always written,
 * because a failed materialisation or write-back has no other place to be reported.
 */
final class MountLog {

    private final ServiceContext context;
    private final String prefix;
    private final boolean debug;

    MountLog(ServiceContext context, String typeName, String mountPoint, boolean debug) {
        this.context = context;
        this.prefix = typeName + " " + mountPoint + ": ";
        this.debug = debug;
    }

    /** Writes an event line if the mount has {@code -o debug}. */
    void event(Supplier<String> message) {
        if (debug) {
            context.debug(prefix + message.get());
        }
    }

    /** Writes a failure, with or without {@code -o debug}. */
    void error(String message) {
        context.debug(prefix + message);
    }

    /** Reports a failure that loses or withholds the user's changes, on kmview's stderr too. */
    void warning(String message) {
        context.warn(prefix + message);
    }
}
