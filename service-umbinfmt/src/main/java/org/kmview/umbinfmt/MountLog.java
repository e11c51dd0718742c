package org.kmview.umbinfmt;

import java.util.function.Supplier;

import org.kmview.spi.ServiceContext;

/**
 * The debug log lines of one mount, each prefixed with its mount point. Events (registrations,
 * removals, state changes, matches) are written only with {@code -o debug}. Rejected writes and
 * failures are always written, because a rejected register line must be traceable to the wrong field.
 */
final class MountLog {

    private final ServiceContext context;
    private final String mountPoint;
    private final boolean debug;

    MountLog(ServiceContext context, String mountPoint, boolean debug) {
        this.context = context;
        this.mountPoint = mountPoint;
        this.debug = debug;
    }

    /** Writes an event line if the mount has {@code -o debug}. */
    void event(Supplier<String> message) {
        if (debug) {
            context.debug(mountPoint + ": " + message.get());
        }
    }

    /** Writes a rejected write or a failure, with or without {@code -o debug}. */
    void error(String message) {
        context.debug(mountPoint + ": " + message);
    }
}
