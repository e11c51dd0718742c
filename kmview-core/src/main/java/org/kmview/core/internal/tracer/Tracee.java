package org.kmview.core.internal.tracer;

/**
 * One traced thread. Owned by the tracer thread.
 */
public final class Tracee {

    private int tid;
    private int tgid;
    /** The syscall stopped at its seccomp stop and resumed to its exit stop, or null. */
    SyscallStop pendingExit;
    /** Set when the thread exec'd while a syscall of it waited for its exit stop. */
    boolean execedDuringSyscall;
    /** The filter generation the thread runs under: 0 for the filter kmview-exec installed. */
    int filterGeneration;
    /** The seccomp() call kmview made the thread run in place of its own syscall, or null. */
    FilterInjection injection;
    /** The per-process trap filters ({@link Tracer#TRAP_WRITES} and others, as bits) the thread runs under. */
    int trapsInstalled;
    /** The per-process trap filters the thread is to get at its next syscall, as bits. */
    int trapsPending;
    /** Set while the thread waits in group-stop for SIGCONT (PTRACE_LISTEN). */
    boolean listening;

    Tracee(int tid) {
        this.tid = tid;
    }

    /** Returns the thread id. */
    public int tid() {
        return tid;
    }

    /**
     * Returns the process (thread group) id, read from /proc the first time it is needed, or 0
     * if it is not known yet.
     */
    public int tgid() {
        return tgid;
    }

    void setTgid(int tgid) {
        this.tgid = tgid;
    }

    void setTid(int tid) {
        this.tid = tid;
    }
}
