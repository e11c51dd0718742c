package org.kmview.core;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * kmview's logger, which gets its log4j {@link Logger} at the first message it passes on. Debug
 * and trace messages are dropped unless {@link #enableDebugLog()} was called, and warnings and
 * errors always go to log4j. A run without a debug log usually writes no warning, so it never
 * sets log4j up: log4j-api's set-up took 44 to 56 ms in a bare JVM of the runtime image (JDK 17,
 * the 2-CPU benchmark machine of docs/benchmarks.md).
 *
 * <p>The fixed-arity methods keep a dropped message from allocating a parameter array. As in
 * log4j, a {@link Throwable} after the parameters that fill the message's {@code {}} placeholders is
 * logged with its stack trace.
 */
public final class Log {

    private static volatile boolean debugLog;

    private final String name;
    private volatile Logger logger;

    private Log(String name) {
        this.name = name;
    }

    /** Returns the logger named after {@code type}, as log4j names a class's logger. */
    public static Log of(Class<?> type) {
        return new Log(type.getName());
    }

    /** Returns the logger of the given name. */
    public static Log named(String name) {
        return new Log(name);
    }

    /**
     * Passes debug and trace messages to log4j from now on. The launcher calls this when it has
     * configured log4j to write a debug log, before the view starts.
     */
    public static void enableDebugLog() {
        debugLog = true;
    }

    private Logger logger() {
        Logger created = logger;
        if (created == null) {
            created = LogManager.getLogger(name);
            logger = created;
        }
        return created;
    }

    public void trace(String message, Object p0) {
        if (debugLog) {
            logger().trace(message, p0);
        }
    }

    public void trace(String message, Object p0, Object p1) {
        if (debugLog) {
            logger().trace(message, p0, p1);
        }
    }

    public void trace(String message, Object p0, Object p1, Object p2) {
        if (debugLog) {
            logger().trace(message, p0, p1, p2);
        }
    }

    public void trace(String message, Object... parameters) {
        if (debugLog) {
            logger().trace(message, parameters);
        }
    }

    public void debug(String message) {
        if (debugLog) {
            logger().debug(message);
        }
    }

    public void debug(String message, Object p0) {
        if (debugLog) {
            logger().debug(message, p0);
        }
    }

    public void debug(String message, Object p0, Object p1) {
        if (debugLog) {
            logger().debug(message, p0, p1);
        }
    }

    public void debug(String message, Object p0, Object p1, Object p2) {
        if (debugLog) {
            logger().debug(message, p0, p1, p2);
        }
    }

    public void debug(String message, Object... parameters) {
        if (debugLog) {
            logger().debug(message, parameters);
        }
    }

    public void warn(String message, Object... parameters) {
        logger().warn(message, parameters);
    }

    public void error(String message, Object... parameters) {
        logger().error(message, parameters);
    }
}
