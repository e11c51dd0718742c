package org.kmview.core.internal.nativeaccess;

/**
 * The kernel's {@code struct ptrace_syscall_info}, read at a seccomp stop or a syscall-exit stop.
 * One instance is reused by the tracer thread.
 */
public final class SyscallInfo {

    /** {@code PTRACE_SYSCALL_INFO_ENTRY}. */
    public static final int OP_ENTRY = 1;
    /** {@code PTRACE_SYSCALL_INFO_EXIT}. */
    public static final int OP_EXIT = 2;
    /** {@code PTRACE_SYSCALL_INFO_SECCOMP}. */
    public static final int OP_SECCOMP = 3;

    /** The kind of stop the tracee is in: one of the {@code OP_} values. */
    public int op;
    /** The AUDIT_ARCH_ value of the syscall's ABI. */
    public int arch;
    public long instructionPointer;
    public long stackPointer;
    /** The syscall number (entry and seccomp stops). */
    public long nr;
    /** The six syscall arguments (entry and seccomp stops). */
    public final long[] args = new long[6];
    /** The return value (exit stops): a negative errno when {@link #isError} is set. */
    public long returnValue;
    public boolean isError;
}
