package org.kmview.umfuse.nativeio;

import java.io.IOException;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * A named pipe the service writes to: the far end of a virtual {@code /dev/fuse}. The daemon
 * opens the pipe's path and reads requests from it as it would from the device. The service
 * opens the pipe read-write, so on Linux (fifo(7)) opening does not block and a write has a reader.
 */
public final class Fifo implements AutoCloseable {

    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int EINTR = 4;
    private static final long FIONREAD = 0x541B;

    private final String path;
    private int fd;

    private Fifo(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Creates a named pipe at {@code path} with permission bits {@code 0600} and opens it.
     *
     * @param capacity the pipe buffer size to ask for; a smaller one is kept if the kernel refuses
     * @throws IOException if the pipe cannot be created or opened
     */
    public static Fifo create(String path, int capacity) throws IOException {
        try {
            Libc.INSTANCE.mkfifo(path, 0600);
        } catch (LastErrorException e) {
            throw new IOException("mkfifo " + path + ": errno " + e.getErrorCode(), e);
        }
        int fd;
        try {
            fd = Libc.INSTANCE.open(path, O_RDWR | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("open " + path + ": errno " + e.getErrorCode(), e);
        }
        try {
            Libc.INSTANCE.fcntl(fd, F_SETPIPE_SZ, capacity);
        } catch (LastErrorException e) {
            // The default capacity (64 KiB) still takes every message the service sends.
        }
        return new Fifo(path, fd);
    }

    /** Returns the path of the pipe. */
    public String path() {
        return path;
    }

    /**
     * Writes {@code data} whole. Precondition: the pipe has room for it, so the write neither
     * blocks nor splits.
     */
    public synchronized void write(byte[] data) throws IOException {
        if (fd < 0) {
            throw new IOException(path + " is closed");
        }
        int done = 0;
        while (done < data.length) {
            byte[] rest = done == 0 ? data : java.util.Arrays.copyOfRange(data, done, data.length);
            try {
                done += Libc.INSTANCE.write(fd, rest, rest.length);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw new IOException("write to " + path + ": errno " + e.getErrorCode(), e);
                }
            }
        }
    }

    /** Returns how many bytes wait in the pipe, unread by the daemon. */
    public synchronized int unread() throws IOException {
        int[] count = new int[1];
        try {
            Libc.INSTANCE.ioctl(fd, FIONREAD, count);
        } catch (LastErrorException e) {
            throw new IOException("FIONREAD on " + path + ": errno " + e.getErrorCode(), e);
        }
        return count[0];
    }

    /** Returns the user id the service runs as. */
    public static int uid() {
        return Libc.INSTANCE.getuid();
    }

    /** Returns the group id the service runs as. */
    public static int gid() {
        return Libc.INSTANCE.getgid();
    }

    /** Closes the pipe and removes its name. */
    @Override
    public synchronized void close() {
        if (fd >= 0) {
            try {
                Libc.INSTANCE.close(fd);
            } catch (LastErrorException e) {
                // A failed close loses no data, because the pipe only carries requests to the daemon.
            }
            fd = -1;
        }
        new java.io.File(path).delete();
    }

    /** The C library calls the pipe needs, bound through JNA. */
    interface Libc extends com.sun.jna.Library {
        Libc INSTANCE = Native.load("c", Libc.class);

        int mkfifo(String path, int mode) throws LastErrorException;

        int open(String path, int flags) throws LastErrorException;

        int fcntl(int fd, int command, int argument) throws LastErrorException;

        int write(int fd, byte[] data, long count) throws LastErrorException;

        int ioctl(int fd, long request, int[] result) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int getuid();

        int getgid();
    }
}
