package org.kmview.core.internal.nativeaccess;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * {@link Ptrace} through JNA. Not thread-safe: one instance belongs to the tracer thread.
 */
public final class JnaPtrace implements Ptrace {

    private static final int PTRACE_POKEUSER = 6;
    private static final int PTRACE_CONT = 7;
    private static final int PTRACE_SYSCALL = 24;
    private static final int PTRACE_GETEVENTMSG = 0x4201;
    private static final int PTRACE_SEIZE = 0x4206;
    private static final int PTRACE_INTERRUPT = 0x4207;
    private static final int PTRACE_LISTEN = 0x4208;
    private static final int PTRACE_GET_SYSCALL_INFO = 0x420e;

    /** sizeof(struct ptrace_syscall_info) for the seccomp variant, the largest. */
    private static final int SYSCALL_INFO_SIZE = 88;

    private final Memory infoBuffer = new Memory(SYSCALL_INFO_SIZE);
    private final Memory messageBuffer = new Memory(8);

    @Override
    public void seize(int pid, long options) {
        call(PTRACE_SEIZE, "PTRACE_SEIZE", pid, 0, options);
    }

    @Override
    public void cont(int tid, int signal) {
        call(PTRACE_CONT, "PTRACE_CONT", tid, 0, signal);
    }

    @Override
    public void resumeToSyscallExit(int tid, int signal) {
        call(PTRACE_SYSCALL, "PTRACE_SYSCALL", tid, 0, signal);
    }

    @Override
    public void interrupt(int tid) {
        call(PTRACE_INTERRUPT, "PTRACE_INTERRUPT", tid, 0, 0);
    }

    @Override
    public void listen(int tid) {
        call(PTRACE_LISTEN, "PTRACE_LISTEN", tid, 0, 0);
    }

    @Override
    public long eventMessage(int tid) {
        call(PTRACE_GETEVENTMSG, "PTRACE_GETEVENTMSG", tid, 0, Memory.nativeValue(messageBuffer));
        return messageBuffer.getLong(0);
    }

    @Override
    public void syscallInfo(int tid, SyscallInfo into) {
        call(PTRACE_GET_SYSCALL_INFO, "PTRACE_GET_SYSCALL_INFO", tid, SYSCALL_INFO_SIZE,
                Memory.nativeValue(infoBuffer));
        // Layout of struct ptrace_syscall_info (linux/ptrace.h): op u8, pad, arch u32,
        // instruction_pointer u64, stack_pointer u64, then the union at offset 24.
        into.op = infoBuffer.getByte(0);
        into.arch = infoBuffer.getInt(4);
        into.instructionPointer = infoBuffer.getLong(8);
        into.stackPointer = infoBuffer.getLong(16);
        if (into.op == SyscallInfo.OP_EXIT) {
            into.returnValue = infoBuffer.getLong(24);
            into.isError = infoBuffer.getByte(32) != 0;
            return;
        }
        into.nr = infoBuffer.getLong(24);
        for (int i = 0; i < 6; i++) {
            into.args[i] = infoBuffer.getLong(32 + 8L * i);
        }
    }

    @Override
    public void pokeUser(int tid, long offset, long value) {
        call(PTRACE_POKEUSER, "PTRACE_POKEUSER", tid, offset, value);
    }

    private static void call(int request, String name, int pid, long addr, long data) {
        try {
            LinuxNative.ptrace(request, pid, addr, data);
        } catch (LastErrorException e) {
            throw new NativeException("ptrace(" + name + ", " + pid + ")", e.getErrorCode());
        }
    }
}
