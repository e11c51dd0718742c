package org.kmview.core;

/**
 * A service that cannot be loaded or started: unknown name, no provider in a jar, malformed
 * options, or a start that failed. The message names the value and what to do.
 */
public final class ServiceLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message for the user. */
    public ServiceLoadException(String message) {
        super(message);
    }

    /** Creates an exception with a message for the user and the failure behind it. */
    public ServiceLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
