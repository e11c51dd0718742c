package org.kmview.core.internal.syscall;

import java.util.Map;
import java.util.OptionalInt;

/**
 * The facts kmview needs about one CPU architecture: its syscall numbers and the offsets of
 * the registers it rewrites in the ptrace user area.
 */
public interface Arch {

    /** Returns the AUDIT_ARCH_ value of the native ABI, as seccomp_data.arch reports it. */
    int auditArch();

    /** Returns the syscall numbers of the native ABI. */
    Map<Syscall, Integer> numbers();

    /** Returns the syscall with number {@code nr}, or null if kmview does not describe it. */
    Syscall syscall(long nr);

    /** Returns the number of {@code syscall} in the native ABI, or empty if this ABI lacks it. */
    default OptionalInt number(Syscall syscall) {
        Integer nr = numbers().get(syscall);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    /** Returns the PTRACE_POKEUSER offset of syscall argument {@code index} (0 to 5). */
    long argumentOffset(int index);

    /** Returns the PTRACE_POKEUSER offset of the syscall number the kernel will run. */
    long syscallNumberOffset();

    /** Returns the PTRACE_POKEUSER offset of the return value register. */
    long returnValueOffset();

    /** Returns the PTRACE_POKEUSER offset of the instruction pointer. */
    long instructionPointerOffset();

    /** Returns the PTRACE_POKEUSER offset of the stack pointer. */
    long stackPointerOffset();

    /** Returns the length of the syscall instruction, to step back over it and run the call again. */
    int syscallInstructionLength();

    /** Returns the number of the seccomp syscall in the native ABI. */
    int seccompSyscall();

    /** Returns a bit that marks a syscall number of another ABI (x32 on x86_64), or 0 if there is none. */
    long foreignSyscallBit();

    /** Returns the bytes below the stack pointer the ABI lets a function use without moving it. */
    int redZone();

    /** Returns the architecture kmview runs on, or throws if it is not supported. */
    static Arch host() {
        String name = System.getProperty("os.arch");
        if (name.equals("amd64") || name.equals("x86_64")) {
            return X86_64.INSTANCE;
        }
        throw new IllegalStateException("kmview supports x86_64 only; this machine is " + name);
    }
}
