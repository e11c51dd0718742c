package org.kmview.core.internal.tracer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Builds the seccomp-bpf program that decides which syscalls stop at the tracer.
 *
 * <p>The program reads only the architecture and the syscall number, never an argument, so the
 * kernel's seccomp action cache (Linux 5.11 and later) learns that every untrapped syscall is
 * allowed and skips the filter for it. The numbers are tested in a binary tree, so a trapped
 * set of any size costs a few instructions.
 */
public final class SeccompFilter {

    // Offsets in struct seccomp_data.
    private static final int NR_OFFSET = 0;
    private static final int ARCH_OFFSET = 4;

    // BPF opcodes (linux/bpf_common.h).
    private static final short BPF_LD_W_ABS = 0x20;
    private static final short BPF_JMP_JEQ_K = 0x15;
    private static final short BPF_JMP_JGE_K = 0x35;
    private static final short BPF_JMP_JA = 0x05;
    private static final short BPF_RET_K = 0x06;

    /** SECCOMP_RET_ALLOW. */
    public static final int SECCOMP_RET_ALLOW = 0x7fff0000;
    /** SECCOMP_RET_TRACE. */
    public static final int SECCOMP_RET_TRACE = 0x7ff00000;
    /** SECCOMP_RET_ERRNO; the errno goes in the low 16 bits. */
    public static final int SECCOMP_RET_ERRNO = 0x00050000;

    private final int auditArch;
    private final SortedSet<Long> trapped = new TreeSet<>();
    private long reservedLow;
    private long reservedHigh = -1;
    private int foreignAction = SECCOMP_RET_ALLOW;
    private long foreignNumberBit;

    /**
     * Starts a filter for the native ABI {@code auditArch}: every syscall of that ABI is allowed
     * unless trapped, and every syscall of another ABI gets {@link #foreignAction}.
     */
    public SeccompFilter(int auditArch) {
        this.auditArch = auditArch;
    }

    /** Traps syscall {@code nr} of the native ABI. */
    public SeccompFilter trap(long nr) {
        trapped.add(nr & 0xffffffffL);
        return this;
    }

    /**
     * Traps the numbers {@code low..high} as unsigned 32-bit values, used for kmview's reserved
     * management calls (negative numbers, which no kernel assigns).
     */
    public SeccompFilter trapReserved(long low, long high) {
        reservedLow = low & 0xffffffffL;
        reservedHigh = high & 0xffffffffL;
        return this;
    }

    /**
     * Sets what a syscall gets when it comes from another ABI (int 0x80 from a 64-bit process)
     * or has {@code numberBit} set (x32 calls), since those bypass the native numbers.
     */
    public SeccompFilter foreign(int action, long numberBit) {
        this.foreignAction = action;
        this.foreignNumberBit = numberBit;
        return this;
    }

    /** Returns the program as struct sock_filter entries in host byte order. */
    public byte[] toBytes() {
        List<long[]> program = build();
        ByteBuffer buffer = ByteBuffer.allocate(program.size() * 8).order(ByteOrder.nativeOrder());
        for (long[] instruction : program) {
            buffer.putShort((short) instruction[0]);
            buffer.put((byte) instruction[1]);
            buffer.put((byte) instruction[2]);
            buffer.putInt((int) instruction[3]);
        }
        return buffer.array();
    }

    /** Returns the number of instructions. */
    public int length() {
        return build().size();
    }

    /** Builds the program; each instruction is {code, jt, jf, k}. */
    private List<long[]> build() {
        List<long[]> program = new ArrayList<>();

        // A foreign ABI cannot be translated, so it never reaches the native-number tree.
        program.add(new long[] {BPF_LD_W_ABS, 0, 0, ARCH_OFFSET});
        program.add(new long[] {BPF_JMP_JEQ_K, 1, 0, auditArch & 0xffffffffL});
        program.add(new long[] {BPF_RET_K, 0, 0, foreignAction & 0xffffffffL});
        program.add(new long[] {BPF_LD_W_ABS, 0, 0, NR_OFFSET});

        if (reservedHigh >= 0) {
            // low <= nr <= high: trace.
            program.add(new long[] {BPF_JMP_JGE_K, 0, 2, reservedLow});
            program.add(new long[] {BPF_JMP_JGE_K, 1, 0, reservedHigh + 1});
            program.add(new long[] {BPF_RET_K, 0, 0, SECCOMP_RET_TRACE & 0xffffffffL});
        }
        if (foreignNumberBit != 0) {
            program.add(new long[] {BPF_JMP_JGE_K, 0, 1, foreignNumberBit});
            program.add(new long[] {BPF_RET_K, 0, 0, foreignAction & 0xffffffffL});
        }

        List<long[]> intervals = intervals();
        emitTree(program, intervals, 0, intervals.size());
        return program;
    }

    /** Splits the number space into intervals {first number, action}, one per change of action. */
    private List<long[]> intervals() {
        List<long[]> intervals = new ArrayList<>();
        long next = 0;
        for (long nr : trapped) {
            if (nr != next || intervals.isEmpty()) {
                if (nr != next) {
                    intervals.add(new long[] {next, SECCOMP_RET_ALLOW});
                }
                intervals.add(new long[] {nr, SECCOMP_RET_TRACE});
            }
            next = nr + 1;
        }
        intervals.add(new long[] {next, SECCOMP_RET_ALLOW});
        return intervals;
    }

    /**
     * Emits a decision tree over {@code intervals[from, to)}. Each inner node is a JGE on the
     * first number of the right half. Its conditional jump skips at most one instruction (the JA
     * to the right half), so trees of any size fit BPF's 8-bit jump offsets.
     */
    private static void emitTree(List<long[]> program, List<long[]> intervals, int from, int to) {
        if (to - from == 1) {
            program.add(new long[] {BPF_RET_K, 0, 0, intervals.get(from)[1] & 0xffffffffL});
            return;
        }
        int middle = (from + to) / 2;
        program.add(new long[] {BPF_JMP_JGE_K, 0, 1, intervals.get(middle)[0]});
        int jump = program.size();
        program.add(new long[] {BPF_JMP_JA, 0, 0, 0});
        emitTree(program, intervals, from, middle);
        program.get(jump)[3] = program.size() - jump - 1;
        emitTree(program, intervals, middle, to);
    }
}
