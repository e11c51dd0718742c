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
