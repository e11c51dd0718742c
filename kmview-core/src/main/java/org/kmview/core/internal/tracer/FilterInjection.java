package org.kmview.core.internal.tracer;

/**
 * A syscall a thread was about to make, put aside while the thread runs seccomp() for kmview. At
 * the exit of seccomp() the arguments are restored and the syscall instruction runs again.
 *
 * @param nr the thread's syscall number
 * @param arguments its six arguments
 * @param instructionPointer the address after its syscall instruction
 * @param generation the filter generation seccomp() installs
 */
record FilterInjection(long nr, long[] arguments, long instructionPointer, int generation) {
}
