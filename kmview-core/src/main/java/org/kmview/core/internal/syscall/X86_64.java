package org.kmview.core.internal.syscall;

import java.util.EnumMap;
import java.util.Map;

/**
 * x86_64: syscall numbers from arch/x86/entry/syscalls/syscall_64.tbl and register offsets
 * from struct user_regs_struct.
 */
public final class X86_64 implements Arch {

    /** The single instance. */
    public static final X86_64 INSTANCE = new X86_64();

    /** AUDIT_ARCH_X86_64. */
    public static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    /** Set in the syscall number of an x32 call. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    // Offsets in struct user_regs_struct (sys/user.h).
    private static final long R10 = 7 * 8;
    private static final long R9 = 8 * 8;
    private static final long R8 = 9 * 8;
    private static final long RAX = 10 * 8;
    private static final long RDX = 12 * 8;
    private static final long RSI = 13 * 8;
    private static final long RDI = 14 * 8;
    private static final long ORIG_RAX = 15 * 8;
    private static final long RIP = 16 * 8;
    private static final long RSP = 19 * 8;
    private static final long[] ARGUMENTS = {RDI, RSI, RDX, R10, R8, R9};

    private final Map<Syscall, Integer> numbers = new EnumMap<>(Syscall.class);
    private final Syscall[] byNumber;

    private X86_64() {
        put(Syscall.WRITE, 1);
        put(Syscall.OPEN, 2);
        put(Syscall.PWRITE64, 18);
        put(Syscall.WRITEV, 20);
        put(Syscall.PWRITEV, 296);
        put(Syscall.PWRITEV2, 328);
        put(Syscall.SENDFILE, 40);
        put(Syscall.SPLICE, 275);
        put(Syscall.COPY_FILE_RANGE, 326);
        put(Syscall.LSEEK, 8);
        put(Syscall.FSTAT, 5);
        put(Syscall.READ, 0);
        put(Syscall.CLOSE, 3);
        put(Syscall.FSYNC, 74);
        put(Syscall.FDATASYNC, 75);
        put(Syscall.SYNCFS, 306);
        put(Syscall.SYNC, 162);
        put(Syscall.DUP2, 33);
        put(Syscall.DUP3, 292);
        put(Syscall.READV, 19);
        put(Syscall.POLL, 7);
        put(Syscall.PPOLL, 271);
        put(Syscall.GETUID, 102);
        put(Syscall.GETGID, 104);
        put(Syscall.SETUID, 105);
        put(Syscall.SETGID, 106);
        put(Syscall.GETEUID, 107);
        put(Syscall.GETEGID, 108);
        put(Syscall.SETREUID, 113);
        put(Syscall.SETREGID, 114);
        put(Syscall.GETGROUPS, 115);
        put(Syscall.SETGROUPS, 116);
        put(Syscall.SETRESUID, 117);
        put(Syscall.GETRESUID, 118);
        put(Syscall.SETRESGID, 119);
        put(Syscall.GETRESGID, 120);
        put(Syscall.SETFSUID, 122);
        put(Syscall.SETFSGID, 123);
        put(Syscall.FCHMOD, 91);
        put(Syscall.FCHOWN, 93);
        put(Syscall.FSETXATTR, 190);
        put(Syscall.FREMOVEXATTR, 199);
        put(Syscall.STAT, 4);
        put(Syscall.LSTAT, 6);
        put(Syscall.ACCESS, 21);
        put(Syscall.CONNECT, 42);
        put(Syscall.SENDTO, 44);
        put(Syscall.BIND, 49);
        put(Syscall.GETSOCKNAME, 51);
        put(Syscall.GETPEERNAME, 52);
        put(Syscall.ACCEPT, 43);
        put(Syscall.ACCEPT4, 288);
        put(Syscall.EXECVE, 59);
        put(Syscall.TRUNCATE, 76);
        put(Syscall.GETDENTS, 78);
        put(Syscall.GETCWD, 79);
        put(Syscall.CHDIR, 80);
        put(Syscall.RENAME, 82);
        put(Syscall.MKDIR, 83);
        put(Syscall.RMDIR, 84);
        put(Syscall.CREAT, 85);
        put(Syscall.LINK, 86);
        put(Syscall.UNLINK, 87);
        put(Syscall.SYMLINK, 88);
        put(Syscall.READLINK, 89);
        put(Syscall.CHMOD, 90);
        put(Syscall.CHOWN, 92);
        put(Syscall.LCHOWN, 94);
        put(Syscall.UTIME, 132);
        put(Syscall.MKNOD, 133);
        put(Syscall.USELIB, 134);
        put(Syscall.STATFS, 137);
        put(Syscall.PIVOT_ROOT, 155);
        put(Syscall.CHROOT, 161);
        put(Syscall.ACCT, 163);
        put(Syscall.MOUNT, 165);
        put(Syscall.UMOUNT2, 166);
        put(Syscall.SWAPON, 167);
        put(Syscall.SWAPOFF, 168);
        put(Syscall.SETXATTR, 188);
        put(Syscall.LSETXATTR, 189);
        put(Syscall.GETXATTR, 191);
        put(Syscall.LGETXATTR, 192);
        put(Syscall.LISTXATTR, 194);
        put(Syscall.LLISTXATTR, 195);
        put(Syscall.REMOVEXATTR, 197);
        put(Syscall.LREMOVEXATTR, 198);
        put(Syscall.GETDENTS64, 217);
        put(Syscall.UTIMES, 235);
        put(Syscall.INOTIFY_ADD_WATCH, 254);
        put(Syscall.OPENAT, 257);
        put(Syscall.MKDIRAT, 258);
        put(Syscall.MKNODAT, 259);
        put(Syscall.FCHOWNAT, 260);
        put(Syscall.FUTIMESAT, 261);
        put(Syscall.NEWFSTATAT, 262);
        put(Syscall.UNLINKAT, 263);
        put(Syscall.RENAMEAT, 264);
        put(Syscall.LINKAT, 265);
        put(Syscall.SYMLINKAT, 266);
        put(Syscall.READLINKAT, 267);
        put(Syscall.FCHMODAT, 268);
        put(Syscall.FACCESSAT, 269);
        put(Syscall.UTIMENSAT, 280);
        put(Syscall.FANOTIFY_MARK, 301);
        put(Syscall.NAME_TO_HANDLE_AT, 303);
        put(Syscall.OPEN_BY_HANDLE_AT, 304);
        put(Syscall.RENAMEAT2, 316);
        put(Syscall.EXECVEAT, 322);
        put(Syscall.STATX, 332);
        put(Syscall.IO_URING_SETUP, 425);
        put(Syscall.OPEN_TREE, 428);
        put(Syscall.MOVE_MOUNT, 429);
        put(Syscall.FSPICK, 433);
        put(Syscall.OPENAT2, 437);
        put(Syscall.FACCESSAT2, 439);
        put(Syscall.MOUNT_SETATTR, 442);
        put(Syscall.FCHMODAT2, 452);
        put(Syscall.SETXATTRAT, 463);
        put(Syscall.GETXATTRAT, 464);
        put(Syscall.LISTXATTRAT, 465);
        put(Syscall.REMOVEXATTRAT, 466);
        put(Syscall.OPEN_TREE_ATTR, 467);
        put(Syscall.FILE_GETATTR, 468);
        put(Syscall.FILE_SETATTR, 469);

        int max = numbers.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        byNumber = new Syscall[max + 1];
        numbers.forEach((syscall, nr) -> byNumber[nr] = syscall);
    }

    private void put(Syscall syscall, int nr) {
        numbers.put(syscall, nr);
    }

    @Override
    public int auditArch() {
        return AUDIT_ARCH_X86_64;
    }

    @Override
    public Map<Syscall, Integer> numbers() {
        return numbers;
    }

    @Override
    public Syscall syscall(long nr) {
        return nr >= 0 && nr < byNumber.length ? byNumber[(int) nr] : null;
    }

    @Override
    public long argumentOffset(int index) {
        return ARGUMENTS[index];
    }

    @Override
    public long syscallNumberOffset() {
        return ORIG_RAX;
    }

    @Override
    public long returnValueOffset() {
        return RAX;
    }

    @Override
    public long instructionPointerOffset() {
        return RIP;
    }

    @Override
    public long stackPointerOffset() {
        return RSP;
    }

    @Override
    public int syscallInstructionLength() {
        return 2;
    }

    @Override
    public int seccompSyscall() {
        return 317;
    }

    @Override
    public long foreignSyscallBit() {
        return X32_SYSCALL_BIT;
    }

    @Override
    public int redZone() {
        return 128;
    }
}
