package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.Operation;

/**
 * Describes a changing call by path as the {@link Operation} a forwarding mount gets, from the
 * call's original arguments. Calls it has no description for give null; they run untouched.
 */
final class OperationDecoder {

    private static final long O_ACCMODE = 3;
    private static final long O_CREAT = 0100;
    private static final long O_TRUNC = 01000;
    private static final long O_WRONLY = 1;
    private static final long AT_REMOVEDIR = 0x200;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int XATTR_NAME_MAX = 255;
    private static final int XATTR_SIZE_MAX = 1 << 16;

    private OperationDecoder() {
    }

    /**
     * Returns the operation of {@code syscall}, or null.
     *
     * @param path the path the call changes, relative to the mount
     * @param target the second path of rename and link, relative to the same mount, else null
     * @param exists whether {@code path} exists now
     * @param umask the calling process's umask, which new entries' modes lose
     */
    static Operation decode(SyscallStop stop, Syscall syscall, long[] arguments, String path, String target,
                            boolean exists, int umask) {
        return switch (syscall) {
            case MKDIR -> new Operation.MakeDirectory(path, (int) arguments[1] & 07777 & ~umask);
            case MKDIRAT -> new Operation.MakeDirectory(path, (int) arguments[2] & 07777 & ~umask);
            case CREAT -> exists ? new Operation.OpenForWriting(path, (int) (O_WRONLY | O_TRUNC))
                    : new Operation.Create(path, (int) arguments[1] & 07777 & ~umask);
            case OPEN -> open(path, arguments[1], arguments[2], exists, umask);
            case OPENAT -> open(path, arguments[2], arguments[3], exists, umask);
            case MKNOD, MKNODAT -> {
                int index = syscall == Syscall.MKNOD ? 1 : 2;
                int mode = (int) arguments[index];
                int type = mode & S_IFMT;
                yield type == 0 || type == S_IFREG ? new Operation.Create(path, mode & 07777 & ~umask)
                        : new Operation.MakeNode(path, type | (mode & 07777 & ~umask), arguments[index + 1]);
            }
            case ACCESS -> new Operation.CheckAccess(path, (int) arguments[1]);
            case FACCESSAT, FACCESSAT2 -> new Operation.CheckAccess(path, (int) arguments[2]);
            case UNLINK -> new Operation.Remove(path, false);
            case RMDIR -> new Operation.Remove(path, true);
            case UNLINKAT -> new Operation.Remove(path, (arguments[2] & AT_REMOVEDIR) != 0);
            case RENAME, RENAMEAT -> target == null ? null : new Operation.Rename(path, target, 0);
            case RENAMEAT2 -> target == null ? null : new Operation.Rename(path, target, arguments[4]);
            case LINK, LINKAT -> target == null ? null : new Operation.Link(path, target);
            case SYMLINK, SYMLINKAT -> {
                String linkTarget = stop.readString(arguments[0]);
                yield linkTarget == null ? null : new Operation.Symlink(path, linkTarget);
            }
            case CHMOD -> new Operation.SetMode(path, (int) arguments[1] & 07777);
            case FCHMODAT, FCHMODAT2 -> new Operation.SetMode(path, (int) arguments[2] & 07777);
            case CHOWN, LCHOWN -> new Operation.SetOwner(path, (int) arguments[1], (int) arguments[2]);
            case FCHOWNAT -> new Operation.SetOwner(path, (int) arguments[2], (int) arguments[3]);
            case TRUNCATE -> new Operation.Truncate(path, arguments[1]);
            case UTIMENSAT -> timespecs(stop, path, arguments[2]);
            case UTIMES, FUTIMESAT -> timevals(stop, path, arguments[syscall == Syscall.UTIMES ? 1 : 2]);
            case UTIME -> utimbuf(stop, path, arguments[1]);
            case SETXATTR, LSETXATTR -> setAttribute(stop, path, arguments);
            case REMOVEXATTR, LREMOVEXATTR -> {
                String name = stop.readString(arguments[1]);
                yield name == null || name.length() > XATTR_NAME_MAX ? null : new Operation.RemoveAttribute(path, name);
            }
            default -> null;
        };
    }

    private static Operation open(String path, long flags, long mode, boolean exists, int umask) {
        if (!exists && (flags & O_CREAT) != 0) {
            return new Operation.Create(path, (int) mode & 07777 & ~umask);
        }
        if (exists && ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC) != 0)) {
            return new Operation.OpenForWriting(path, (int) flags);
        }
        return null;
    }

    /** utimensat: two struct timespec, or NULL for now; UTIME_NOW and UTIME_OMIT per time. */
    private static Operation timespecs(SyscallStop stop, String path, long address) {
        if (address == 0) {
            return new Operation.SetTimes(path, -1, -1, true);
        }
        byte[] raw = stop.read(address, 32);
        if (raw == null) {
            return null;
        }
        ByteBuffer times = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        long[] nanos = new long[2];
        boolean now = false;
        for (int i = 0; i < 2; i++) {
            long seconds = times.getLong(16 * i);
            long fraction = times.getLong(16 * i + 8);
            if (fraction == UTIME_OMIT) {
                nanos[i] = -1;
            } else if (fraction == UTIME_NOW) {
                nanos[i] = -1;
                now = true;
            } else {
                nanos[i] = seconds * 1_000_000_000L + fraction;
            }
        }
        if (now && (nanos[0] >= 0 || nanos[1] >= 0)) {
            // One time now and the other set or kept: the daemon gets the time of this moment.
            long current = System.currentTimeMillis() * 1_000_000L;
            for (int i = 0; i < 2; i++) {
                long fraction = times.getLong(16 * i + 8);
                if (fraction == UTIME_NOW) {
                    nanos[i] = current;
                }
            }
            now = false;
        }
        return new Operation.SetTimes(path, nanos[0], nanos[1], now);
    }

    /** utimes and futimesat: two struct timeval, or NULL for now. */
    private static Operation timevals(SyscallStop stop, String path, long address) {
        if (address == 0) {
            return new Operation.SetTimes(path, -1, -1, true);
        }
        byte[] raw = stop.read(address, 32);
        if (raw == null) {
            return null;
        }
        ByteBuffer times = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        return new Operation.SetTimes(path, times.getLong(0) * 1_000_000_000L + times.getLong(8) * 1000,
                times.getLong(16) * 1_000_000_000L + times.getLong(24) * 1000, false);
    }

    /** utime: struct utimbuf of two seconds, or NULL for now. */
    private static Operation utimbuf(SyscallStop stop, String path, long address) {
        if (address == 0) {
            return new Operation.SetTimes(path, -1, -1, true);
        }
        byte[] raw = stop.read(address, 16);
        if (raw == null) {
            return null;
        }
        ByteBuffer times = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        return new Operation.SetTimes(path, times.getLong(0) * 1_000_000_000L, times.getLong(8) * 1_000_000_000L,
                false);
    }

    private static Operation setAttribute(SyscallStop stop, String path, long[] arguments) {
        String name = stop.readString(arguments[1]);
        long size = arguments[3];
        if (name == null || name.length() > XATTR_NAME_MAX || size < 0 || size > XATTR_SIZE_MAX) {
            return null;
        }
        byte[] value = size == 0 ? new byte[0] : stop.read(arguments[2], (int) size);
        if (value == null) {
            return null;
        }
        return new Operation.SetAttribute(path, name, value, (int) arguments[4]);
    }
}
