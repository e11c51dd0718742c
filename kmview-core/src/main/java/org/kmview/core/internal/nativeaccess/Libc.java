package org.kmview.core.internal.nativeaccess;

import java.util.List;

/**
 * The C library calls kmview makes, shaped like libc. Paths are byte strings: each char of a
 * {@code String} path is one byte (ISO-8859-1), so any Linux file name round-trips exactly.
 *
 * <p>Calls whose failure is routine (lstat of a missing file) return a negative errno; calls
 * whose failure is exceptional throw {@link NativeException}.
 */
public interface Libc {

    int __WALL = 0x40000000;
    int __WNOTHREAD = 0x20000000;
    int S_IFMT = 0170000;
    int S_IFLNK = 0120000;
    int S_IFDIR = 0040000;

    /**
     * Waits for a child or tracee with waitpid(2).
     *
     * @param status receives the wait status in element 0
     * @return the pid that changed state, or a negative errno ({@code -ECHILD} when none is left)
     */
    int waitpid(int pid, int options, int[] status);

    /** Returns the {@code st_mode} of {@code path} (statx, not following a final symlink), or a negative errno. */
    int lstatMode(String path);

    /** Returns the inode number of {@code path} (statx, not following a final symlink), or 0 if unknown. */
    long lstatInode(String path);

    /**
     * Returns the identity, owner and mode of {@code path} as {device major, device minor, inode,
     * uid, gid, st_mode} (statx), or null if it cannot be read.
     *
     * @param follow whether a symbolic link in the last component is followed
     */
    long[] fileOwner(String path, boolean follow);

    /**
     * Checks whether kmview's user may access {@code path} with {@code mode} (R_OK, W_OK, X_OK
     * bits) as faccessat(2) does; returns 0 or a negative errno.
     */
    int access(String path, int mode, boolean follow);

    /** Sets the permission bits of {@code path} (chmod(2), following symbolic links); returns 0 or a negative errno. */
    int chmod(String path, int mode);

    /** Returns the target of the symbolic link {@code path}, or null if it cannot be read. */
    String readlink(String path);

    /** Copies up to {@code length} bytes of the tracee's memory at {@code address}; returns the count or a negative errno. */
    int readMemory(int pid, long address, byte[] into, int length);

    /** Writes {@code length} bytes into the tracee's memory at {@code address}; returns the count or a negative errno. */
    int writeMemory(int pid, long address, byte[] from, int length);

    /** Creates a pipe with O_CLOEXEC on both ends; returns {read end, write end}. */
    int[] pipe();

    /** Writes all of {@code data} to {@code fd}. */
    void writeFully(int fd, byte[] data);

    /** Closes {@code fd}, ignoring errors. */
    void close(int fd);

    /**
     * Starts {@code path} with posix_spawn(3) from the calling thread, with an empty signal mask.
     * {@code passFd} stays open across the exec; every other descriptor keeps its close-on-exec flag.
     *
     * @return the child's pid
     */
    int spawn(String path, List<String> argv, List<String> envp, int passFd);

    /** Sends {@code signal} to {@code pid}; returns 0 or a negative errno. */
    int kill(int pid, int signal);

    /** Makes the argument-less syscall {@code number}; returns its result or a negative errno. */
    long syscall(long number);

    /** Returns the thread id of the calling thread. */
    int gettid();

    /** Returns the pid of kmview's own process. */
    int getpid();

    /** Returns the process group of {@code pid} (0 for kmview's own), or a negative errno. */
    int getpgid(int pid);
}
