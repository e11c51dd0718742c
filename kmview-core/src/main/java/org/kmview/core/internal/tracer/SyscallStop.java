package org.kmview.core.internal.tracer;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import org.kmview.core.Log;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.nativeaccess.NativeException;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.nativeaccess.SyscallInfo;
import org.kmview.core.internal.syscall.Arch;

/**
 * A syscall stopped at its seccomp stop: its number and arguments, and the edits a handler makes
 * to it. Edited argument registers are restored at the syscall's exit, because the x86_64 and
 * aarch64 syscall ABIs preserve them and compiled code may rely on that.
 */
public final class SyscallStop {

    private static final Log LOG = Log.of(SyscallStop.class);

    static final int PATH_MAX = 4096;
    private static final int SHORT_STRING = 256;

    private final Ptrace ptrace;
    private final Libc libc;
    private final Arch arch;
    /** Shared by every stop: only the tracer thread reads strings. */
    private final byte[] stringBuffer;

    private Tracee tracee;
    private final SyscallInfo info = new SyscallInfo();
    private final long[] savedArguments = new long[6];
    private int editedArguments;
    private boolean skipped;
    private long stackUsed;
    private Consumer<SyscallStop> exitAction;
    private Consumer<SyscallStop> execAction;
    /** The call {@link #replaceSyscall} made the kernel run instead, or -1. */
    private long replacementNr = -1;
    private long[] replacementArguments;

    SyscallStop(Ptrace ptrace, Libc libc, Arch arch, byte[] stringBuffer) {
        this.ptrace = ptrace;
        this.libc = libc;
        this.arch = arch;
        this.stringBuffer = stringBuffer;
    }

    void reset(Tracee tracee) {
        this.tracee = tracee;
        editedArguments = 0;
        skipped = false;
        stackUsed = arch.redZone();
        exitAction = null;
        execAction = null;
        replacementNr = -1;
        replacementArguments = null;
        ptrace.syscallInfo(tracee.tid(), info);
    }

    /** Returns the stopped thread. */
    public Tracee tracee() {
        return tracee;
    }

    /** Returns the syscall number. */
    public long nr() {
        return info.nr;
    }

    /** Returns the syscall's AUDIT_ARCH_ value. */
    public int auditArch() {
        return info.arch;
    }

    /** Returns argument {@code index} as the process passed it. */
    public long argument(int index) {
        return (editedArguments & (1 << index)) != 0 ? savedArguments[index] : info.args[index];
    }

    /** Returns argument {@code index} as the kernel gets it, with the edits and replacement of this stop. */
    public long kernelArgument(int index) {
        if (replacementArguments != null) {
            return index < replacementArguments.length ? replacementArguments[index] : 0;
        }
        return info.args[index];
    }

    /** Returns the number of the call the kernel runs: the one {@link #replaceSyscall} set, or the thread's own. */
    public long kernelNr() {
        return replacementNr >= 0 ? replacementNr : info.nr;
    }

    /** Returns the six arguments as the process passed them. */
    public long[] arguments() {
        long[] arguments = info.args.clone();
        for (int i = 0; i < 6; i++) {
            arguments[i] = argument(i);
        }
        return arguments;
    }

    /** At the exit stop: returns the syscall's return value, a negative errno on failure. */
    public long returnValue() {
        return info.returnValue;
    }

    /**
     * Reads a NUL-terminated string of at most PATH_MAX bytes from the tracee, as a byte string.
     *
     * @return the string, or null if the memory is unreadable or contains no NUL in PATH_MAX bytes
     */
    public String readString(long address) {
        if (address == 0) {
            return null;
        }
        // Most paths are short: a small read first spares copying a whole PATH_MAX each time.
        String value = readString(address, SHORT_STRING);
        return value != null ? value : readString(address, PATH_MAX);
    }

    private String readString(long address, int length) {
        int count = libc.readMemory(tracee.tid(), address, stringBuffer, length);
        for (int i = 0; i < count; i++) {
            if (stringBuffer[i] == 0) {
                return new String(stringBuffer, 0, i, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** Reads {@code length} bytes from the tracee, or returns null if they are unreadable. */
    public byte[] read(long address, int length) {
        byte[] data = new byte[length];
        int count = libc.readMemory(tracee.tid(), address, data, length);
        return count == length ? data : null;
    }

    /** Writes {@code data} into the tracee; returns whether all of it was written. */
    public boolean write(long address, byte[] data) {
        return libc.writeMemory(tracee.tid(), address, data, data.length) == data.length;
    }

    /**
     * Copies {@code data} below the tracee's stack pointer, past the red zone and past what this
     * stop already placed there, and returns its address, or 0 if the memory is not writable.
     */
    public long pushToStack(byte[] data) {
        stackUsed += data.length;
        long address = (info.stackPointer - stackUsed) & ~15L;
        stackUsed = info.stackPointer - address;
        return write(address, data) ? address : 0;
    }

    /** Copies a byte string, NUL-terminated, below the stack pointer; returns its address or 0. */
    public long pushString(String value) {
        byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
        byte[] terminated = new byte[raw.length + 1];
        System.arraycopy(raw, 0, terminated, 0, raw.length);
        return pushToStack(terminated);
    }

    /** Replaces argument {@code index} for the kernel. The process gets the old value back after the call. */
    public void setArgument(int index, long value) {
        if ((editedArguments & (1 << index)) == 0) {
            savedArguments[index] = info.args[index];
            editedArguments |= 1 << index;
        }
        info.args[index] = value;
        ptrace.pokeUser(tracee.tid(), arch.argumentOffset(index), value);
    }

    /** Skips the syscall: the kernel does not run it and the process gets {@code result}. */
    public void skip(long result) {
        // A skipped call has no exit stop, so arguments edited for it are restored now.
        restoreArguments(tracee);
        ptrace.pokeUser(tracee.tid(), arch.syscallNumberOffset(), -1);
        ptrace.pokeUser(tracee.tid(), arch.returnValueOffset(), result);
        skipped = true;
    }

    /** Skips the syscall with {@code -errno}. */
    public void fail(int errno) {
        skip(-errno);
    }

    /** At the exit stop: replaces the return value the process gets. */
    public void setReturnValue(long value) {
        ptrace.pokeUser(tracee.tid(), arch.returnValueOffset(), value);
        info.returnValue = value;
    }

    /**
     * At the exit stop: makes the thread run the same syscall again with the same arguments. The
     * instruction pointer steps back over the syscall instruction, so the seccomp stop comes again.
     */
    public void restart() {
        ptrace.pokeUser(tracee.tid(), arch.instructionPointerOffset(),
                info.instructionPointer - arch.syscallInstructionLength());
        ptrace.pokeUser(tracee.tid(), arch.returnValueOffset(), info.nr);
    }

    /** Runs {@code action} at the syscall's exit stop, before the arguments are restored. */
    public void atExit(Consumer<SyscallStop> action) {
        exitAction = action;
    }

    /** Runs {@code action} at the exit stop too, after any action set before it. */
    public void alsoAtExit(Consumer<SyscallStop> action) {
        exitAction = exitAction == null ? action : exitAction.andThen(action);
    }

    /** Returns whether a handler skipped the syscall at this stop. */
    public boolean isSkipped() {
        return skipped;
    }

    /**
     * Runs {@code action} if the syscall, an execve, succeeds: at the exec stop, when the new
     * program's stack is set up but none of its instructions ran. The action may read and edit
     * the new program's stack through this stop; {@link #stackPointer} is the new program's.
     */
    public void atExec(Consumer<SyscallStop> action) {
        execAction = action;
    }

    /** Runs {@code action} at the exec stop too, after any action set before it. */
    public void alsoAtExec(Consumer<SyscallStop> action) {
        execAction = execAction == null ? action : execAction.andThen(action);
    }

    /** Returns the thread's stack pointer as of the last stop this object read. */
    public long stackPointer() {
        return info.stackPointer;
    }

    /** Sets the thread's stack pointer. */
    public void setStackPointer(long value) {
        ptrace.pokeUser(tracee.tid(), arch.stackPointerOffset(), value);
        info.stackPointer = value;
    }

    /**
     * At the seccomp stop: makes the kernel run syscall {@code nr} with {@code arguments} in place
     * of the one the thread made. The thread's registers are not restored at exit; the caller
     * sets them there, usually with {@link #restartAs}.
     */
    public void replaceSyscall(long nr, long... arguments) {
        replacementNr = nr;
        replacementArguments = arguments.clone();
        ptrace.pokeUser(tracee.tid(), arch.syscallNumberOffset(), nr);
        for (int i = 0; i < arguments.length; i++) {
            ptrace.pokeUser(tracee.tid(), arch.argumentOffset(i), arguments[i]);
        }
    }

    /**
     * At the exit stop: makes the thread run syscall {@code nr} with {@code arguments} next, by
     * stepping back over the syscall instruction; its seccomp stop comes again if it is trapped.
     */
    public void restartAs(long nr, long... arguments) {
        for (int i = 0; i < arguments.length; i++) {
            ptrace.pokeUser(tracee.tid(), arch.argumentOffset(i), arguments[i]);
        }
        ptrace.pokeUser(tracee.tid(), arch.instructionPointerOffset(),
                info.instructionPointer - arch.syscallInstructionLength());
        ptrace.pokeUser(tracee.tid(), arch.returnValueOffset(), nr);
    }

    /** At the exit stop: sets the six argument registers, as the process passed them, for example. */
    public void resetArguments(long[] arguments) {
        for (int i = 0; i < arguments.length; i++) {
            ptrace.pokeUser(tracee.tid(), arch.argumentOffset(i), arguments[i]);
        }
    }

    /** Runs at the exec stop of a successful execve: the action set with {@link #atExec}. */
    void finishAtExec(Tracee current) {
        if (execAction == null) {
            return;
        }
        this.tracee = current;
        ptrace.syscallInfo(current.tid(), info);
        Consumer<SyscallStop> action = execAction;
        execAction = null;
        runAction(action, "exec");
    }

    boolean skipped() {
        return skipped;
    }

    boolean needsExitStop() {
        return !skipped && (editedArguments != 0 || exitAction != null || execAction != null);
    }

    /** Runs at the exit stop: the exit action, then the restore of edited arguments. */
    void finishAtExit(Tracee current, boolean execed) {
        this.tracee = current;
        if (execed) {
            // The registers now belong to the new program.
            return;
        }
        if (exitAction != null) {
            ptrace.syscallInfo(current.tid(), info);
            runAction(exitAction, "exit");
        }
        restoreArguments(current);
    }

    /**
     * Runs an exit or exec action. A fault of kmview's own, such as a service that throws, is
     * logged and costs that one call its edit, not the whole view. A vanished thread
     * (NativeException) goes to the tracer, which expects it.
     */
    private void runAction(Consumer<SyscallStop> action, String stopName) {
        try {
            action.accept(this);
        } catch (NativeException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("[{}] the {} action of syscall {} failed", tracee.tid(), stopName, info.nr, e);
        }
    }

    private void restoreArguments(Tracee current) {
        for (int i = 0; i < 6; i++) {
            if ((editedArguments & (1 << i)) != 0) {
                ptrace.pokeUser(current.tid(), arch.argumentOffset(i), savedArguments[i]);
                info.args[i] = savedArguments[i];
            }
        }
        editedArguments = 0;
    }
}
