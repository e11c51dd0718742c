package org.kmview.core.internal.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Invariants of the syscall table ({@link Syscall}) and of its x86_64 numbers ({@link X86_64}).
 */
class SyscallTableTest {

    /** The kernel's x86_64 syscall numbers as the C library headers (Debian linux-libc-dev) install them. */
    private static final Path UNISTD_64 = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    /** Where glibc declares struct user_regs_struct, the layout of the ptrace user area's registers. */
    private static final Path SYS_USER = Path.of("/usr/include/x86_64-linux-gnu/sys/user.h");

    private static final X86_64 ARCH = X86_64.INSTANCE;

    @Test
    void everyHandledSyscallHasNumber() {
        List<Syscall> missing = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            if (syscall.kind() != Syscall.Kind.NONE && ARCH.number(syscall).isEmpty()) {
                missing.add(syscall);
            }
        }

        assertEquals(List.of(), missing);
    }

    @Test
    void numbersAreUnique() {
        Map<Integer, Syscall> seen = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        ARCH.numbers().forEach((syscall, nr) -> {
            Syscall other = seen.put(nr, syscall);
            if (other != null) {
                duplicates.add(nr + ": " + other + " and " + syscall);
            }
        });

        assertEquals(List.of(), duplicates);
    }

    @Test
    void lookupByNumberRoundTrips() {
        List<String> wrong = new ArrayList<>();
        ARCH.numbers().forEach((syscall, nr) -> {
            if (ARCH.syscall(nr) != syscall) {
                wrong.add(nr + " gives " + ARCH.syscall(nr) + ", expected " + syscall);
            }
        });

        assertEquals(List.of(), wrong);
    }

    @Test
    void lookupOutsideTableIsNull() {
        assertNull(ARCH.syscall(-1));
        assertNull(ARCH.syscall(-19200));
        assertNull(ARCH.syscall(X86_64.X32_SYSCALL_BIT | 2));
        assertNull(ARCH.syscall(39)); // getpid, which no service claims
        assertNull(ARCH.syscall(100_000));
    }

    @Test
    void pathIndexesValidAndDistinct() {
        List<String> wrong = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            Set<Integer> indexes = new HashSet<>();
            for (PathArg path : syscall.paths()) {
                if (path.index() < 0 || path.index() >= 6) {
                    wrong.add(syscall + ": path index " + path.index());
                }
                if (!indexes.add(path.index())) {
                    wrong.add(syscall + ": path index " + path.index() + " given twice");
                }
            }
        }

        assertEquals(List.of(), wrong);
    }

    @Test
    void dirfdIndexesValid() {
        List<String> wrong = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            Set<Integer> pathIndexes = pathIndexes(syscall);
            for (PathArg path : syscall.paths()) {
                int dirfd = path.dirfd();
                if (dirfd != PathArg.NO_DIRFD && (dirfd < 0 || dirfd >= 6)) {
                    wrong.add(syscall + ": dirfd index " + dirfd);
                }
                if (pathIndexes.contains(dirfd)) {
                    wrong.add(syscall + ": dirfd index " + dirfd + " is a path argument");
                }
            }
        }

        assertEquals(List.of(), wrong);
    }

    @Test
    void flagsIndexWhereFollowNeedsIt() {
        List<String> wrong = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            Set<Integer> pathIndexes = pathIndexes(syscall);
            for (PathArg path : syscall.paths()) {
                boolean needsFlags = path.follow() == PathArg.Follow.UNLESS_FLAG
                        || path.follow() == PathArg.Follow.IF_FLAG || path.follow() == PathArg.Follow.OPEN_FLAGS;
                // openat2 keeps its open flags in struct open_how, which its own handler reads.
                if (!needsFlags || syscall.kind() == Syscall.Kind.OPENAT2) {
                    continue;
                }
                int flags = path.flagsIndex();
                if (flags < 0 || flags >= 6) {
                    wrong.add(syscall + ": flags index " + flags + " for " + path.follow());
                }
                if (pathIndexes.contains(flags) || flags == path.dirfd()) {
                    wrong.add(syscall + ": flags index " + flags + " is a path or dirfd argument");
                }
                if (path.follow() != PathArg.Follow.OPEN_FLAGS && path.flagMask() == 0) {
                    wrong.add(syscall + ": no flag mask for " + path.follow());
                }
            }
        }

        assertEquals(List.of(), wrong);
    }

    @Test
    void onlyOpenat2LacksFlagsArgument() {
        List<Syscall> withoutFlags = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            for (PathArg path : syscall.paths()) {
                if (path.follow() == PathArg.Follow.OPEN_FLAGS && path.flagsIndex() < 0) {
                    withoutFlags.add(syscall);
                }
            }
        }

        assertEquals(List.of(Syscall.OPENAT2), withoutFlags);
    }

    @Test
    void pathKindsHavePaths() {
        Set<Syscall.Kind> withPaths = Set.of(Syscall.Kind.PATH, Syscall.Kind.EXEC, Syscall.Kind.OPENAT2, Syscall.Kind.READLINK,
                Syscall.Kind.MOUNT, Syscall.Kind.UMOUNT);
        List<String> wrong = new ArrayList<>();
        for (Syscall syscall : Syscall.values()) {
            boolean hasPaths = !syscall.paths().isEmpty();
            if (hasPaths != withPaths.contains(syscall.kind())) {
                wrong.add(syscall + " (" + syscall.kind() + ") has " + syscall.paths().size() + " path arguments");
            }
        }

        assertEquals(List.of(), wrong);
    }

    @Test
    void followRules() {
        long[] arguments = new long[6];
        PathArg newfstatat = Syscall.NEWFSTATAT.paths().get(0);
        assertTrue(newfstatat.followsLast(arguments));
        arguments[3] = Syscall.Flags.AT_SYMLINK_NOFOLLOW;
        assertEquals(false, newfstatat.followsLast(arguments));

        PathArg linkat = Syscall.LINKAT.paths().get(0);
        arguments = new long[6];
        assertEquals(false, linkat.followsLast(arguments));
        arguments[4] = Syscall.Flags.AT_SYMLINK_FOLLOW;
        assertTrue(linkat.followsLast(arguments));
    }

    @Test
    void openFlagsFollowRule() {
        long oCreat = 0100;
        long oExcl = 0200;
        long oNofollow = 0400000;

        assertTrue(PathArg.followsLastForOpen(0));
        assertTrue(PathArg.followsLastForOpen(oCreat));
        assertEquals(false, PathArg.followsLastForOpen(oNofollow));
        assertEquals(false, PathArg.followsLastForOpen(oCreat | oExcl));
        assertTrue(PathArg.followsLastForOpen(oExcl));
    }

    @Test
    void numbersMatchKernelHeader() throws IOException {
        assumeTrue(Files.isReadable(UNISTD_64), UNISTD_64 + " is missing: install linux-libc-dev");
        Map<String, Integer> header = new HashMap<>();
        Matcher define = Pattern.compile("#define __NR_(\\w+) (\\d+)").matcher(Files.readString(UNISTD_64));
        while (define.find()) {
            header.put(define.group(1), Integer.parseInt(define.group(2)));
        }
        List<String> wrong = new ArrayList<>();
        int compared = 0;
        for (Map.Entry<Syscall, Integer> entry : ARCH.numbers().entrySet()) {
            Integer expected = header.get(entry.getKey().name().toLowerCase(java.util.Locale.ROOT));
            if (expected == null) {
                // Newer than these headers.
                continue;
            }
            compared++;
            if (!expected.equals(entry.getValue())) {
                wrong.add(entry.getKey() + ": " + entry.getValue() + ", header " + expected);
            }
        }

        assertEquals(List.of(), wrong);
        assertTrue(compared >= 70, "compared only " + compared + " numbers with " + UNISTD_64);
    }

    @Test
    void registerOffsetsMatchUserRegs() throws IOException {
        assumeTrue(Files.isReadable(SYS_USER), SYS_USER + " is missing: install libc6-dev");
        String source = Files.readString(SYS_USER);
        int start = source.indexOf("struct user_regs_struct\n{");
        String body = source.substring(start, source.indexOf("};", start));
        List<String> fields = new ArrayList<>();
        Matcher field = Pattern.compile("unsigned long long int (\\w+);").matcher(body);
        while (field.find()) {
            fields.add(field.group(1));
        }
        String[] argumentRegisters = {"rdi", "rsi", "rdx", "r10", "r8", "r9"};

        for (int i = 0; i < 6; i++) {
            assertEquals(8L * fields.indexOf(argumentRegisters[i]), ARCH.argumentOffset(i), "argument " + i);
        }
        assertEquals(8L * fields.indexOf("orig_rax"), ARCH.syscallNumberOffset());
        assertEquals(8L * fields.indexOf("rax"), ARCH.returnValueOffset());
        assertEquals(8L * fields.indexOf("rip"), ARCH.instructionPointerOffset());
    }

    private static Set<Integer> pathIndexes(Syscall syscall) {
        Set<Integer> indexes = new HashSet<>();
        for (PathArg path : syscall.paths()) {
            indexes.add(path.index());
        }
        return indexes;
    }
}
