package org.kmview.core.internal.tracer;

/**
 * The server of trapped syscalls. The tracer calls it on the tracer thread only.
 */
public interface SyscallHandler {

    /**
     * Serves a syscall at its seccomp stop. The handler inspects the call and, through
     * {@code stop}, lets it run as it is (the default), skips it with a result, rewrites its
     * arguments, or requests its exit stop. Handlers return normally; a failure of a service is
     * turned into a result by the handler.
     */
    void onEntry(SyscallStop stop);

    /** Tells the handler that thread {@code parent} created thread or process {@code child}. */
    default void onNewThread(int parent, int child) {
    }

    /** Forgets what the handler keeps for a thread that ended. */
    default void onProcessExit(int tid) {
    }

    /**
     * Tells the handler, once the program has ended and again after each thread that ends
     * later, which threads of the view are left, by thread id. The handler may end the mounts
     * that only those threads keep running, so the view can end.
     */
    default void onProgramGone(java.util.Set<Integer> threads) {
    }
}
