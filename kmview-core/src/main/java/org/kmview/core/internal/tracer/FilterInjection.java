package org.kmview.core.internal.tracer;

/**
 * A syscall a thread was about to make, put aside while the thread runs seccomp() for kmview. At
 * the exit of seccomp() the arguments are restored and the syscall instruction runs again.
 *
 * @param nr the thread's syscall number
 * @param arguments its six arguments
 * @param instructionPointer the address after its syscall instruction
 * @param generation the filter generation seccomp() installs, or {@link #WRITE_TRAP} for the
 *        filter that traps the writes of one process
 */
record FilterInjection(long nr, long[] arguments, long instructionPointer, int generation) {

    /** The generation value of an injection of the write-trap filter. */
    static final int WRITE_TRAP = -1;
}
