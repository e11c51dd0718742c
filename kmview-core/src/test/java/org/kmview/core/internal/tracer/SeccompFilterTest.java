package org.kmview.core.internal.tracer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.kmview.core.internal.dispatch.ManagementCall;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.spi.Errno;

/**
 * Runs the filters {@link SeccompFilter} builds in a small BPF interpreter over seccomp_data and
 * checks the action for every syscall number of interest.
 */
class SeccompFilterTest {

    private static final int NATIVE = X86_64.AUDIT_ARCH_X86_64;
    /** AUDIT_ARCH_I386: what seccomp_data.arch holds for int 0x80 from a 64-bit process. */
    private static final int I386 = 0x40000003;
    private static final int X32 = X86_64.X32_SYSCALL_BIT;
    private static final int ENOSYS_ACTION = SeccompFilter.SECCOMP_RET_ERRNO | Errno.ENOSYS.number();
    private static final int RESERVED_LOW = ManagementCall.BASE - ManagementCall.COUNT + 1;
    private static final int RESERVED_HIGH = ManagementCall.BASE;
    /** BPF_MAXINSNS: the kernel rejects longer classic BPF programs. */
    private static final int BPF_MAXINSNS = 4096;

    // Opcodes the filter may use (linux/bpf_common.h); the interpreter rejects any other.
    private static final int LD_W_ABS = 0x20;
    private static final int JMP_JEQ_K = 0x15;
    private static final int JMP_JGE_K = 0x35;
    private static final int JMP_JA = 0x05;
    private static final int RET_K = 0x06;

    @Test
    void emptySetTrapsOnlyReserved() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH);

        assertEquals(List.of(), mismatches(filter, Set.of(), true, SeccompFilter.SECCOMP_RET_ALLOW, 0));
    }

    @Test
    void emptySetAllowsX32AndForeign() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH);

        assertEquals(SeccompFilter.SECCOMP_RET_ALLOW, run(filter, X32 | 2, NATIVE));
        assertEquals(SeccompFilter.SECCOMP_RET_ALLOW, run(filter, 5, I386));
        assertEquals(SeccompFilter.SECCOMP_RET_ALLOW, run(filter, RESERVED_HIGH, I386));
    }

    @Test
    void viewSetActions() {
        // The filter a view builds when a path service is loaded.
        Set<Integer> trapped = new TreeSet<>();
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH);
        for (Syscall syscall : Syscall.values()) {
            if (syscall.kind() != Syscall.Kind.NONE) {
                X86_64.INSTANCE.number(syscall).ifPresent(nr -> {
                    filter.trap(nr);
                    trapped.add(nr);
                });
            }
        }
        filter.foreign(ENOSYS_ACTION, X32);

        assertEquals(List.of(), mismatches(filter, trapped, true, ENOSYS_ACTION, X32));
    }

    @Test
    void contiguousAndEdgeNumbers() {
        Set<Integer> trapped = Set.of(0, 1, 2, 3, 10, 11, 299, 300, 599, 600);
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH)
                .foreign(ENOSYS_ACTION, X32);
        trapped.forEach(filter::trap);

        assertEquals(List.of(), mismatches(filter, trapped, true, ENOSYS_ACTION, X32));
    }

    @Test
    void singleNumberWithoutReserved() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trap(257);

        assertEquals(List.of(), mismatches(filter, Set.of(257), false, SeccompFilter.SECCOMP_RET_ALLOW, 0));
    }

    @Test
    void scatteredNumbersActions() {
        Set<Integer> trapped = scattered();
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH)
                .foreign(ENOSYS_ACTION, X32);
        trapped.forEach(filter::trap);

        assertEquals(List.of(), mismatches(filter, trapped, true, ENOSYS_ACTION, X32));
        assertTrue(filter.length() <= BPF_MAXINSNS, "length " + filter.length());
    }

    @Test
    void scatteredNumbersShortJumps() {
        // Without the reserved range, whose check skips two instructions, every conditional
        // jump of the program skips at most one.
        SeccompFilter filter = new SeccompFilter(NATIVE).foreign(ENOSYS_ACTION, X32);
        scattered().forEach(filter::trap);

        assertEquals(List.of(), longConditionalJumps(filter.toBytes(), 1));
    }

    @Test
    void fullFilterJumpsFitOneByte() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH)
                .foreign(ENOSYS_ACTION, X32);
        scattered().forEach(filter::trap);

        assertEquals(List.of(), longConditionalJumps(filter.toBytes(), 2));
    }

    @Test
    void readsOnlyNrAndArch() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH)
                .foreign(ENOSYS_ACTION, X32);
        scattered().forEach(filter::trap);
        List<String> otherLoads = new ArrayList<>();
        ByteBuffer code = program(filter.toBytes());
        for (int pc = 0; pc < code.capacity() / 8; pc++) {
            int k = code.getInt(pc * 8 + 4);
            if ((code.getShort(pc * 8) & 0xffff) == LD_W_ABS && k != 0 && k != 4) {
                otherLoads.add("instruction " + pc + " loads offset " + k);
            }
        }

        assertEquals(List.of(), otherLoads);
    }

    @Test
    void lengthMatchesBytes() {
        SeccompFilter filter = new SeccompFilter(NATIVE).trapReserved(RESERVED_LOW, RESERVED_HIGH)
                .foreign(ENOSYS_ACTION, X32);
        scattered().forEach(filter::trap);

        assertEquals(filter.toBytes().length / 8, filter.length());
    }

    /** 200 distinct numbers in 0..599 from a fixed seed: runs of neighbours and lone numbers. */
    private static Set<Integer> scattered() {
        Random random = new Random(20240611L);
        Set<Integer> numbers = new TreeSet<>();
        while (numbers.size() < 200) {
            numbers.add(random.nextInt(600));
        }
        return numbers;
    }

    /**
     * Runs the filter for every number of interest under the native and a foreign ABI and returns
     * a line for each action that differs from the expected one.
     */
    private static List<String> mismatches(SeccompFilter filter, Set<Integer> trapped, boolean reserved,
                                           int foreignAction, int foreignBit) {
        List<Integer> numbers = new ArrayList<>();
        for (int nr = 0; nr <= 600; nr++) {
            numbers.add(nr);
        }
        for (int nr = RESERVED_LOW - 3; nr <= RESERVED_HIGH + 3; nr++) {
            numbers.add(nr);
        }
        for (int nr : List.of(0, 2, 257, 322, 437, 600)) {
            numbers.add(X32 | nr);
        }
        numbers.addAll(List.of(X32 - 1, -1, -2, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x3fffffff, 1 << 31 | 257));

        byte[] program = filter.toBytes();
        List<String> wrong = new ArrayList<>();
        for (int nr : numbers) {
            int nativeExpected = expected(nr, trapped, reserved, foreignAction, foreignBit);
            int nativeActual = run(program, nr, NATIVE);
            if (nativeActual != nativeExpected) {
                wrong.add(describe(nr, NATIVE, nativeExpected, nativeActual));
            }
            int foreignActual = run(program, nr, I386);
            if (foreignActual != foreignAction) {
                wrong.add(describe(nr, I386, foreignAction, foreignActual));
            }
        }
        return wrong;
    }

    /**
     * Returns the intended action for a native-ABI call. The reserved range is traced first.
     * Numbers at or above the foreign bit get the foreign action: x32 calls, and negative numbers
     * outside the reserved range, which no kernel assigns. Then the trapped set is traced and the
     * rest is allowed.
     */
    private static int expected(int nr, Set<Integer> trapped, boolean reserved, int foreignAction, int foreignBit) {
        if (reserved && nr >= RESERVED_LOW && nr <= RESERVED_HIGH) {
            return SeccompFilter.SECCOMP_RET_TRACE;
        }
        if (foreignBit != 0 && Integer.compareUnsigned(nr, foreignBit) >= 0) {
            return foreignAction;
        }
        return trapped.contains(nr) ? SeccompFilter.SECCOMP_RET_TRACE : SeccompFilter.SECCOMP_RET_ALLOW;
    }

    private static String describe(int nr, int arch, int expected, int actual) {
        return String.format("nr %d (0x%x) arch 0x%x: expected 0x%x, got 0x%x", nr, nr, arch, expected, actual);
    }

    private static int run(SeccompFilter filter, int nr, int arch) {
        return run(filter.toBytes(), nr, arch);
    }

    /**
     * Interprets a classic BPF program over a seccomp_data holding {@code nr} and {@code arch}
     * and returns the value of its RET. Knows only the instructions the filter is meant to use.
     *
     * @throws AssertionError for another instruction, a load of another field, or a jump out of
     *         the program
     */
    private static int run(byte[] bytes, int nr, int arch) {
        ByteBuffer code = program(bytes);
        int count = bytes.length / 8;
        int accumulator = 0;
        int pc = 0;
        while (true) {
            if (pc < 0 || pc >= count) {
                throw new AssertionError("nr " + nr + ": program counter " + pc + " outside 0.." + (count - 1));
            }
            int opcode = code.getShort(pc * 8) & 0xffff;
            int jt = code.get(pc * 8 + 2) & 0xff;
            int jf = code.get(pc * 8 + 3) & 0xff;
            int k = code.getInt(pc * 8 + 4);
            switch (opcode) {
                case LD_W_ABS -> {
                    accumulator = switch (k) {
                        case 0 -> nr;
                        case 4 -> arch;
                        default -> throw new AssertionError("instruction " + pc + " loads seccomp_data offset " + k);
                    };
                    pc++;
                }
                case JMP_JEQ_K -> pc += 1 + (accumulator == k ? jt : jf);
                case JMP_JGE_K -> pc += 1 + (Integer.compareUnsigned(accumulator, k) >= 0 ? jt : jf);
                case JMP_JA -> pc += 1 + k;
                case RET_K -> {
                    return k;
                }
                default -> throw new AssertionError("instruction " + pc + " has opcode 0x" + Integer.toHexString(opcode));
            }
        }
    }

    private static List<String> longConditionalJumps(byte[] bytes, int limit) {
        ByteBuffer code = program(bytes);
        List<String> jumps = new ArrayList<>();
        for (int pc = 0; pc < bytes.length / 8; pc++) {
            int opcode = code.getShort(pc * 8) & 0xffff;
            int jt = code.get(pc * 8 + 2) & 0xff;
            int jf = code.get(pc * 8 + 3) & 0xff;
            if ((opcode == JMP_JEQ_K || opcode == JMP_JGE_K) && (jt > limit || jf > limit)) {
                jumps.add("instruction " + pc + ": jt " + jt + ", jf " + jf);
            }
        }
        return jumps;
    }

    private static ByteBuffer program(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    }
}
