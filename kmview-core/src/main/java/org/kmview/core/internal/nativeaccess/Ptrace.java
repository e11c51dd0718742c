package org.kmview.core.internal.nativeaccess;

/**
 * The ptrace(2) requests the tracer uses, with the kernel's names for requests and options.
 *
 * <p>Precondition of every method: it runs on the thread that seized the tracee. Each method
 * throws {@link NativeException} when the kernel rejects the request; {@code ESRCH} means the
 * tracee is gone or not stopped.
 */
public interface Ptrace {

    long PTRACE_O_TRACESYSGOOD = 0x1;
    long PTRACE_O_TRACEFORK = 0x2;
    long PTRACE_O_TRACEVFORK = 0x4;
    long PTRACE_O_TRACECLONE = 0x8;
    long PTRACE_O_TRACEEXEC = 0x10;
    long PTRACE_O_TRACESECCOMP = 0x80;
    long PTRACE_O_EXITKILL = 0x100000;

    int PTRACE_EVENT_FORK = 1;
    int PTRACE_EVENT_VFORK = 2;
    int PTRACE_EVENT_CLONE = 3;
    int PTRACE_EVENT_EXEC = 4;
    int PTRACE_EVENT_SECCOMP = 7;
    int PTRACE_EVENT_STOP = 128;

    /** Attaches to {@code pid} with PTRACE_SEIZE and sets {@code options}. */
    void seize(int pid, long options);

    /** Resumes a stopped tracee with PTRACE_CONT, delivering {@code signal} unless it is 0. */
    void cont(int tid, int signal);

    /** Resumes a stopped tracee with PTRACE_SYSCALL, so it stops again at the syscall exit. */
    void resumeToSyscallExit(int tid, int signal);

    /** Stops a running tracee with PTRACE_INTERRUPT; it reports a PTRACE_EVENT_STOP. */
    void interrupt(int tid);

    /** Lets a tracee in group-stop wait for SIGCONT with PTRACE_LISTEN. */
    void listen(int tid);

    /** Returns the message of the last ptrace event (PTRACE_GETEVENTMSG): a new pid, a former tid. */
    long eventMessage(int tid);

    /** Fills {@code into} with PTRACE_GET_SYSCALL_INFO. */
    void syscallInfo(int tid, SyscallInfo into);

    /** Writes one word of the tracee's user area (PTRACE_POKEUSER), a register by its offset. */
    void pokeUser(int tid, long offset, long value);
}
