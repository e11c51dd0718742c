package org.kmview.core.internal.syscall;

import static org.kmview.core.internal.syscall.PathArg.NO_DIRFD;
import static org.kmview.core.internal.syscall.PathArg.follow;
import static org.kmview.core.internal.syscall.PathArg.ifFlag;
import static org.kmview.core.internal.syscall.PathArg.noFollow;
import static org.kmview.core.internal.syscall.PathArg.openFlags;
import static org.kmview.core.internal.syscall.PathArg.unlessFlag;

import java.util.List;

/**
 * The syscalls kmview may trap, described once and independent of the architecture: which
 * arguments are paths, and which handler serves them. Per-architecture numbers live in the
 * architecture classes.
 */
public enum Syscall {
    OPEN(Kind.PATH, openFlags(0, NO_DIRFD, 1)),
    CREAT(Kind.PATH, follow(0, NO_DIRFD)),
    OPENAT(Kind.PATH, openFlags(1, 0, 2)),
    OPENAT2(Kind.OPENAT2, openFlags(1, 0, -1)),
    STAT(Kind.PATH, follow(0, NO_DIRFD)),
    LSTAT(Kind.PATH, noFollow(0, NO_DIRFD)),
    NEWFSTATAT(Kind.PATH, unlessFlag(1, 0, 3, Flags.AT_SYMLINK_NOFOLLOW)),
    STATX(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    STATFS(Kind.PATH, follow(0, NO_DIRFD)),
    ACCESS(Kind.PATH, follow(0, NO_DIRFD)),
    FACCESSAT(Kind.PATH, follow(1, 0)),
    FACCESSAT2(Kind.PATH, unlessFlag(1, 0, 3, Flags.AT_SYMLINK_NOFOLLOW)),
    READLINK(Kind.READLINK, noFollow(0, NO_DIRFD)),
    READLINKAT(Kind.READLINK, noFollow(1, 0)),
    CHDIR(Kind.PATH, follow(0, NO_DIRFD)),
    CHROOT(Kind.PATH, follow(0, NO_DIRFD)),
    MKDIR(Kind.PATH, noFollow(0, NO_DIRFD)),
    MKDIRAT(Kind.PATH, noFollow(1, 0)),
    RMDIR(Kind.PATH, noFollow(0, NO_DIRFD)),
    UNLINK(Kind.PATH, noFollow(0, NO_DIRFD)),
    UNLINKAT(Kind.PATH, noFollow(1, 0)),
    RENAME(Kind.PATH, noFollow(0, NO_DIRFD), noFollow(1, NO_DIRFD)),
    RENAMEAT(Kind.PATH, noFollow(1, 0), noFollow(3, 2)),
    RENAMEAT2(Kind.PATH, noFollow(1, 0), noFollow(3, 2)),
    LINK(Kind.PATH, noFollow(0, NO_DIRFD), noFollow(1, NO_DIRFD)),
    LINKAT(Kind.PATH, ifFlag(1, 0, 4, Flags.AT_SYMLINK_FOLLOW), noFollow(3, 2)),
    SYMLINK(Kind.PATH, noFollow(1, NO_DIRFD)),
    SYMLINKAT(Kind.PATH, noFollow(2, 1)),
    CHMOD(Kind.PATH, follow(0, NO_DIRFD)),
    FCHMODAT(Kind.PATH, follow(1, 0)),
    FCHMODAT2(Kind.PATH, unlessFlag(1, 0, 3, Flags.AT_SYMLINK_NOFOLLOW)),
    CHOWN(Kind.PATH, follow(0, NO_DIRFD)),
    LCHOWN(Kind.PATH, noFollow(0, NO_DIRFD)),
    FCHOWNAT(Kind.PATH, unlessFlag(1, 0, 4, Flags.AT_SYMLINK_NOFOLLOW)),
    TRUNCATE(Kind.PATH, follow(0, NO_DIRFD)),
    UTIME(Kind.PATH, follow(0, NO_DIRFD)),
    UTIMES(Kind.PATH, follow(0, NO_DIRFD)),
    FUTIMESAT(Kind.PATH, follow(1, 0)),
    UTIMENSAT(Kind.PATH, unlessFlag(1, 0, 3, Flags.AT_SYMLINK_NOFOLLOW)),
    MKNOD(Kind.PATH, noFollow(0, NO_DIRFD)),
    MKNODAT(Kind.PATH, noFollow(1, 0)),
    EXECVE(Kind.EXEC, follow(0, NO_DIRFD)),
    EXECVEAT(Kind.EXEC, unlessFlag(1, 0, 4, Flags.AT_SYMLINK_NOFOLLOW)),
    SETXATTR(Kind.PATH, follow(0, NO_DIRFD)),
    LSETXATTR(Kind.PATH, noFollow(0, NO_DIRFD)),
    GETXATTR(Kind.PATH, follow(0, NO_DIRFD)),
    LGETXATTR(Kind.PATH, noFollow(0, NO_DIRFD)),
    LISTXATTR(Kind.PATH, follow(0, NO_DIRFD)),
    LLISTXATTR(Kind.PATH, noFollow(0, NO_DIRFD)),
    REMOVEXATTR(Kind.PATH, follow(0, NO_DIRFD)),
    LREMOVEXATTR(Kind.PATH, noFollow(0, NO_DIRFD)),
    SETXATTRAT(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    GETXATTRAT(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    LISTXATTRAT(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    REMOVEXATTRAT(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    FILE_GETATTR(Kind.PATH, unlessFlag(1, 0, 4, Flags.AT_SYMLINK_NOFOLLOW)),
    FILE_SETATTR(Kind.PATH, unlessFlag(1, 0, 4, Flags.AT_SYMLINK_NOFOLLOW)),
    INOTIFY_ADD_WATCH(Kind.PATH, unlessFlag(1, NO_DIRFD, 2, Flags.IN_DONT_FOLLOW)),
    FANOTIFY_MARK(Kind.PATH, unlessFlag(4, 3, 1, Flags.FAN_MARK_DONT_FOLLOW)),
    NAME_TO_HANDLE_AT(Kind.REFUSE),
    OPEN_BY_HANDLE_AT(Kind.REFUSE),
    USELIB(Kind.PATH, follow(0, NO_DIRFD)),
    ACCT(Kind.PATH, follow(0, NO_DIRFD)),
    SWAPON(Kind.PATH, follow(0, NO_DIRFD)),
    SWAPOFF(Kind.PATH, follow(0, NO_DIRFD)),
    PIVOT_ROOT(Kind.PATH, follow(0, NO_DIRFD), follow(1, NO_DIRFD)),
    OPEN_TREE(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    OPEN_TREE_ATTR(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    MOVE_MOUNT(Kind.PATH, follow(1, 0), follow(3, 2)),
    FSPICK(Kind.PATH, follow(1, 0)),
    MOUNT_SETATTR(Kind.PATH, unlessFlag(1, 0, 2, Flags.AT_SYMLINK_NOFOLLOW)),
    MOUNT(Kind.MOUNT, follow(1, NO_DIRFD)),
    UMOUNT2(Kind.UMOUNT, unlessFlag(0, NO_DIRFD, 1, Flags.UMOUNT_NOFOLLOW)),
    BIND(Kind.SOCKADDR),
    CONNECT(Kind.SOCKADDR),
    SENDTO(Kind.SOCKADDR),
    GETSOCKNAME(Kind.SOCKET_NAME),
    GETPEERNAME(Kind.SOCKET_NAME),
    ACCEPT(Kind.SOCKET_NAME),
    ACCEPT4(Kind.SOCKET_NAME),
    GETCWD(Kind.GETCWD),
    GETDENTS(Kind.DIRENTS),
    GETDENTS64(Kind.DIRENTS),
    IO_URING_SETUP(Kind.REFUSE),
    WRITE(Kind.WRITE),
    PWRITE64(Kind.WRITE),
    WRITEV(Kind.WRITE),
    PWRITEV(Kind.WRITE),
    PWRITEV2(Kind.WRITE),
    SENDFILE(Kind.WRITE),
    SPLICE(Kind.WRITE),
    COPY_FILE_RANGE(Kind.WRITE),
    CLOSE(Kind.SYNC),
    FSYNC(Kind.SYNC),
    FDATASYNC(Kind.SYNC),
    /** syncfs and sync are rare, so every process traps them while a path service is loaded. */
    SYNCFS(Kind.SYNC_ALL),
    SYNC(Kind.SYNC_ALL),
    /** dup2 and dup3 close their target descriptor first, as a shell's redirection does. */
    DUP2(Kind.SYNC),
    DUP3(Kind.SYNC),
    READ(Kind.CONTROL_READ),
    READV(Kind.CONTROL_READ),
    /** A control file that refuses reads also reports POLLERR, as a FUSE device after its unmount. */
    POLL(Kind.CONTROL_READ),
    PPOLL(Kind.CONTROL_READ),
    /** Never trapped; kmview runs it in place of a getdents it emulates. */
    LSEEK(Kind.NONE),
    /**
     * The fstat system call, which programs built with glibc before 2.33 make (newer glibc calls
     * newfstatat). Trapped only in secure mode, which shows the view's owners in its result.
     */
    FSTAT(Kind.NONE),
    GETUID(Kind.CREDENTIALS),
    GETEUID(Kind.CREDENTIALS),
    GETGID(Kind.CREDENTIALS),
    GETEGID(Kind.CREDENTIALS),
    GETRESUID(Kind.CREDENTIALS),
    GETRESGID(Kind.CREDENTIALS),
    GETGROUPS(Kind.CREDENTIALS),
    SETUID(Kind.CREDENTIALS),
    SETGID(Kind.CREDENTIALS),
    SETREUID(Kind.CREDENTIALS),
    SETREGID(Kind.CREDENTIALS),
    SETRESUID(Kind.CREDENTIALS),
    SETRESGID(Kind.CREDENTIALS),
    SETFSUID(Kind.CREDENTIALS),
    SETFSGID(Kind.CREDENTIALS),
    SETGROUPS(Kind.CREDENTIALS),
    FCHMOD(Kind.DESCRIPTOR_CHANGE),
    FCHOWN(Kind.DESCRIPTOR_CHANGE),
    FSETXATTR(Kind.DESCRIPTOR_CHANGE),
    FREMOVEXATTR(Kind.DESCRIPTOR_CHANGE);

    /** The handler that serves a syscall. */
    public enum Kind {
        /** Not translated. Trapped only when secure mode patches the result (fstat), or never (lseek). */
        NONE,
        /** Path arguments translated through the mount table. */
        PATH,
        /** execve and execveat: a path, and a #! interpreter the kernel would open itself. */
        EXEC,
        /** openat2: a path plus RESOLVE_* flags in a struct. */
        OPENAT2,
        /** readlink: a path, and a result to translate for /proc magic links. */
        READLINK,
        /** mount(2): served by a service when one registered the type. */
        MOUNT,
        /** umount2(2): removes a virtual mount. */
        UMOUNT,
        /** AF_UNIX socket addresses. */
        SOCKADDR,
        /**
         * Calls that return a socket's address, where an AF_UNIX path bound through a mount shows
         * as the host path. Trapped only in the processes that bound or connected such a socket,
         * never view-wide.
         */
        SOCKET_NAME,
        /** getcwd: the result is a view path. */
        GETCWD,
        /** Directory listings: hidden names removed. */
        DIRENTS,
        /** Calls that could bypass translation: refused while a path service is active. */
        REFUSE,
        /**
         * Writes, which may go to a control file of a service. Trapped only in the processes
         * that opened a control file for writing, never view-wide.
         */
        WRITE,
        /**
         * Reads and polls, which a control file may refuse (a FUSE device after its unmount).
         * Trapped only where {@link #WRITE} is.
         */
        CONTROL_READ,
        /**
         * close, fsync, fdatasync, dup2 and dup3, after which a mount that keeps files in a
         * cache (a FUSE daemon's) writes them back. Trapped only in the processes that opened
         * a file of such a mount for writing, never view-wide.
         */
        SYNC,
        /** syncfs and sync: as {@link #SYNC}, but trapped in every process while a path service is loaded. */
        SYNC_ALL,
        /**
         * Attribute changes through a descriptor (fchmod, fchown, fsetxattr, fremovexattr): a
         * copy-on-write mount redirects them to its copy of the file.
         */
        DESCRIPTOR_CHANGE,
        /**
         * The user and group ids of a process: served from the view's own credentials in secure
         * mode ({@code kmview -s}), and never trapped otherwise.
         */
        CREDENTIALS
    }

    private final Kind kind;
    private final List<PathArg> paths;

    Syscall(Kind kind, PathArg... paths) {
        this.kind = kind;
        this.paths = List.of(paths);
    }

    /** Returns the handler kind. */
    public Kind kind() {
        return kind;
    }

    /** Returns the path arguments, in argument order. */
    public List<PathArg> paths() {
        return paths;
    }

    /** Kernel flag values the path descriptions refer to (identical on x86_64 and aarch64). */
    public static final class Flags {
        public static final long AT_SYMLINK_NOFOLLOW = 0x100;
        public static final long AT_SYMLINK_FOLLOW = 0x400;
        public static final long AT_EMPTY_PATH = 0x1000;
        public static final long IN_DONT_FOLLOW = 0x02000000;
        public static final long FAN_MARK_DONT_FOLLOW = 0x4;
        public static final long UMOUNT_NOFOLLOW = 0x8;

        private Flags() {
        }
    }
}
