package org.kmview.core.internal.nativeaccess;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * {@link Libc} through JNA. Not thread-safe: buffers are reused, so one instance belongs to one
 * thread (the tracer thread).
 */
public final class JnaLibc implements Libc {

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MODE = 0x2;
    /** Offset of stx_mode in struct statx (linux/stat.h). */
    private static final int STATX_MODE_OFFSET = 28;
    private static final int STATX_SIZE = 256;
    private static final int STATX_INO = 0x100;
    /** Offset of stx_ino in struct statx. */
    private static final int STATX_INO_OFFSET = 32;
    private static final int STATX_UID = 0x8;
    private static final int STATX_GID = 0x10;
    private static final int STATX_UID_OFFSET = 20;
    private static final int STATX_GID_OFFSET = 24;
    private static final int STATX_DEV_MAJOR_OFFSET = 136;
    private static final int STATX_DEV_MINOR_OFFSET = 140;
    private static final int O_CLOEXEC = 02000000;
    private static final int PATH_MAX = 4096;
    private static final int PAGE_SIZE = 4096;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

    private final Memory statxBuffer = new Memory(STATX_SIZE);
    private final Memory linkBuffer = new Memory(PATH_MAX);
    private final Memory statusBuffer = new Memory(4);
    /** Room for tracee memory in transit; it grows to the largest transfer asked for. */
    private Memory transferBuffer = new Memory(2L * PAGE_SIZE);
    private final Memory localIov = new Memory(16);
    private final Memory remoteIov = new Memory(32);

    @Override
    public int waitpid(int pid, int options, int[] status) {
        try {
            int result = LinuxNative.waitpid(pid, statusBuffer, options);
            status[0] = statusBuffer.getInt(0);
            return result;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int lstatMode(String path) {
        try {
            LinuxNative.statx(AT_FDCWD, bytes(path), AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE, statxBuffer);
            return statxBuffer.getShort(STATX_MODE_OFFSET) & 0xffff;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public long lstatInode(String path) {
        try {
            LinuxNative.statx(AT_FDCWD, bytes(path), AT_SYMLINK_NOFOLLOW, STATX_INO, statxBuffer);
            return statxBuffer.getLong(STATX_INO_OFFSET);
        } catch (LastErrorException e) {
            return 0;
        }
    }

    @Override
    public long[] fileOwner(String path, boolean follow) {
        try {
            LinuxNative.statx(AT_FDCWD, bytes(path), follow ? 0 : AT_SYMLINK_NOFOLLOW,
                    STATX_TYPE | STATX_MODE | STATX_INO | STATX_UID | STATX_GID, statxBuffer);
        } catch (LastErrorException e) {
            return null;
        }
        return new long[] {
            statxBuffer.getInt(STATX_DEV_MAJOR_OFFSET) & 0xffffffffL,
            statxBuffer.getInt(STATX_DEV_MINOR_OFFSET) & 0xffffffffL,
            statxBuffer.getLong(STATX_INO_OFFSET),
            statxBuffer.getInt(STATX_UID_OFFSET) & 0xffffffffL,
            statxBuffer.getInt(STATX_GID_OFFSET) & 0xffffffffL,
            statxBuffer.getShort(STATX_MODE_OFFSET) & 0xffffL,
        };
    }

    @Override
    public int access(String path, int mode, boolean follow) {
        try {
            return LinuxNative.faccessat(AT_FDCWD, bytes(path), mode, follow ? 0 : AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int chmod(String path, int mode) {
        try {
            return LinuxNative.chmod(bytes(path), mode);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public String readlink(String path) {
        try {
            long length = LinuxNative.readlink(bytes(path), linkBuffer, PATH_MAX);
            return new String(linkBuffer.getByteArray(0, (int) length), StandardCharsets.ISO_8859_1);
        } catch (LastErrorException e) {
            return null;
        }
    }

    @Override
    public int readMemory(int pid, long address, byte[] into, int length) {
        // One remote iovec per page: process_vm_readv stops at the first iovec it cannot read
        // whole, so a string that ends just before an unmapped page is still read.
        ensureTransferCapacity(length);
        long firstPageEnd = (address | (PAGE_SIZE - 1)) + 1;
        long firstLength = Math.min(length, firstPageEnd - address);
        long secondLength = length - firstLength;
        localIov.setPointer(0, transferBuffer);
        localIov.setLong(8, length);
        remoteIov.setLong(0, address);
        remoteIov.setLong(8, firstLength);
        remoteIov.setLong(16, firstPageEnd);
        remoteIov.setLong(24, secondLength);
        try {
            int count = (int) LinuxNative.process_vm_readv(pid, localIov, 1, remoteIov, secondLength > 0 ? 2 : 1, 0);
            transferBuffer.read(0, into, 0, count);
            return count;
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int writeMemory(int pid, long address, byte[] from, int length) {
        ensureTransferCapacity(length);
        transferBuffer.write(0, from, 0, length);
        localIov.setPointer(0, transferBuffer);
        localIov.setLong(8, length);
        remoteIov.setLong(0, address);
        remoteIov.setLong(8, length);
        try {
            return (int) LinuxNative.process_vm_writev(pid, localIov, 1, remoteIov, 1, 0);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    private void ensureTransferCapacity(int length) {
        if (transferBuffer.size() < length) {
            transferBuffer = new Memory(Math.max(length, 2 * transferBuffer.size()));
        }
    }

    @Override
    public int[] pipe() {
        Memory fds = new Memory(8);
        try {
            LinuxNative.pipe2(fds, O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new NativeException("pipe2(O_CLOEXEC)", e.getErrorCode());
        }
        return new int[] {fds.getInt(0), fds.getInt(4)};
    }

    @Override
    public void writeFully(int fd, byte[] data) {
        Memory buffer = new Memory(Math.max(1, data.length));
        buffer.write(0, data, 0, data.length);
        long offset = 0;
        while (offset < data.length) {
            try {
                offset += LinuxNative.write(fd, buffer.share(offset), data.length - offset);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != 4) { // EINTR
                    throw new NativeException("write(" + fd + ")", e.getErrorCode());
                }
            }
        }
    }

    @Override
    public void close(int fd) {
        LinuxNative.close(fd);
    }

    @Override
    public int spawn(String path, List<String> argv, List<String> envp, int passFd) {
        // glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; sigset_t 128.
        Memory fileActions = new Memory(256);
        Memory attributes = new Memory(512);
        Memory emptyMask = new Memory(128);
        emptyMask.clear();
        Memory pid = new Memory(4);
        NativeStrings argvArray = new NativeStrings(argv);
        NativeStrings envpArray = new NativeStrings(envp);

        check("posix_spawn_file_actions_init", LinuxNative.posix_spawn_file_actions_init(fileActions));
        check("posix_spawnattr_init", LinuxNative.posix_spawnattr_init(attributes));
        try {
            // dup2 onto itself clears FD_CLOEXEC in the child (glibc 2.29 and later).
            check("posix_spawn_file_actions_adddup2(" + passFd + ")",
                    LinuxNative.posix_spawn_file_actions_adddup2(fileActions, passFd, passFd));
            check("posix_spawnattr_setflags", LinuxNative.posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK));
            check("posix_spawnattr_setsigmask", LinuxNative.posix_spawnattr_setsigmask(attributes, emptyMask));
            check("posix_spawn(" + path + ")", LinuxNative.posix_spawn(pid, bytes(path), fileActions, attributes,
                    argvArray.pointer(), envpArray.pointer()));
            return pid.getInt(0);
        } finally {
            LinuxNative.posix_spawn_file_actions_destroy(fileActions);
            LinuxNative.posix_spawnattr_destroy(attributes);
        }
    }

    @Override
    public int kill(int pid, int signal) {
        try {
            return LinuxNative.kill(pid, signal);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int gettid() {
        return LinuxNative.gettid();
    }

    @Override
    public int getpid() {
        return LinuxNative.getpid();
    }

    @Override
    public long syscall(long number) {
        try {
            return LinuxNative.syscall(number);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    @Override
    public int getpgid(int pid) {
        try {
            return LinuxNative.getpgid(pid);
        } catch (LastErrorException e) {
            return -e.getErrorCode();
        }
    }

    private static void check(String call, int error) {
        if (error != 0) {
            throw new NativeException(call, error);
        }
    }

    private static byte[] bytes(String path) {
        byte[] raw = path.getBytes(StandardCharsets.ISO_8859_1);
        byte[] terminated = new byte[raw.length + 1];
        System.arraycopy(raw, 0, terminated, 0, raw.length);
        return terminated;
    }

    /** A NULL-terminated {@code char *[]} whose strings live as long as this object. */
    private static final class NativeStrings {
        private final Memory array;
        private final Memory[] strings;

        NativeStrings(List<String> values) {
            array = new Memory(8L * (values.size() + 1));
            strings = new Memory[values.size()];
            for (int i = 0; i < values.size(); i++) {
                byte[] raw = bytes(values.get(i));
                strings[i] = new Memory(raw.length);
                strings[i].write(0, raw, 0, raw.length);
                array.setPointer(8L * i, strings[i]);
            }
            array.setPointer(8L * values.size(), Pointer.NULL);
        }

        Pointer pointer() {
            return array;
        }
    }
}
