package org.kmview.spi;

import java.util.Objects;

/**
 * A failure of a service operation, carrying the errno the calling process receives.
 */
public class ServiceException extends Exception {

    private static final long serialVersionUID = 1L;

    private final Errno errno;

    /**
     * Creates an exception.
     *
     * @param errno what the system call returns to the process
     * @param message what failed, with the value involved, for the log and for start-up errors
     */
    public ServiceException(Errno errno, String message) {
        super(message);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /** Returns the errno the calling process receives. */
    public Errno errno() {
        return errno;
    }
}
