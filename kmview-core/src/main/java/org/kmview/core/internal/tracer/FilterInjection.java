package org.kmview.core.internal.tracer;

/**
 * A syscall a thread was about to make, put aside while the thread runs seccomp() for kmview. At
 * the exit of seccomp() the arguments are restored and the syscall instruction runs again.
 *
 * @param nr the thread's syscall number
 * @param arguments its six arguments
 * @param instructionPointer the address after its syscall instruction
 * @param generation the filter generation seccomp() installs, or {@link #ofTrap} of the
 *        per-process trap filter it installs
 */
record FilterInjection(long nr, long[] arguments, long instructionPointer, int generation) {

    /** Returns the generation value of an injection of the per-process trap filter {@code trap}. */
    static int ofTrap(int trap) {
        return -1 - trap;
    }

    /** Returns the per-process trap filter of a negative generation value. */
    static int trapOf(int generation) {
        return -1 - generation;
    }
}
