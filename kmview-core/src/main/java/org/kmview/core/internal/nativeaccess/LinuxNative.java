package org.kmview.core.internal.nativeaccess;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Direct-mapped C library functions. This package is the only one that imports JNA.
 */
final class LinuxNative {

    static {
        Native.register(LinuxNative.class, NativeLibrary.getInstance("c"));
    }

    private LinuxNative() {
    }

    static native long ptrace(long request, long pid, long addr, long data) throws LastErrorException;

    static native int waitpid(int pid, Pointer status, int options) throws LastErrorException;

    static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer buffer) throws LastErrorException;

    static native long readlink(byte[] path, Pointer buffer, long size) throws LastErrorException;

    static native int faccessat(int dirfd, byte[] path, int mode, int flags) throws LastErrorException;

    static native int chmod(byte[] path, int mode) throws LastErrorException;

    static native long process_vm_readv(int pid, Pointer localIov, long localCount, Pointer remoteIov,
                                        long remoteCount, long flags) throws LastErrorException;

    static native long process_vm_writev(int pid, Pointer localIov, long localCount, Pointer remoteIov,
                                         long remoteCount, long flags) throws LastErrorException;

    static native int pipe2(Pointer fds, int flags) throws LastErrorException;

    static native long write(int fd, Pointer buffer, long count) throws LastErrorException;

    static native int close(int fd);

    static native int kill(int pid, int signal) throws LastErrorException;

    static native int getpid();

    static native int gettid();

    static native long syscall(long number) throws LastErrorException;

    static native int getpgid(int pid) throws LastErrorException;

    static native int posix_spawn(Pointer pid, byte[] path, Pointer fileActions, Pointer attributes,
                                  Pointer argv, Pointer envp);

    static native int posix_spawn_file_actions_init(Pointer fileActions);

    static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    static native int posix_spawn_file_actions_destroy(Pointer fileActions);

    static native int posix_spawnattr_init(Pointer attributes);

    static native int posix_spawnattr_setflags(Pointer attributes, short flags);

    static native int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

    static native int posix_spawnattr_destroy(Pointer attributes);
}
