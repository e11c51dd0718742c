package org.kmview.core.internal.nativeaccess;

import org.kmview.spi.Errno;

/**
 * A failed native call, shaped {@code call(argument) failed: reason}.
 */
public final class NativeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int errno;

    /**
     * Creates an exception for a call that failed with {@code errno}.
     *
     * @param call the call and its arguments, for example {@code ptrace(PTRACE_CONT, 42)}
     * @param errno the positive error number
     */
    public NativeException(String call, int errno) {
        super(call + " failed: " + Errno.of(errno).message() + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** Returns the positive error number. */
    public int errno() {
        return errno;
    }
}
