package org.kmview.core.internal.tracer;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.kmview.core.internal.dispatch.ManagementCall;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.nativeaccess.SyscallInfo;
import org.kmview.core.internal.syscall.X86_64;

/**
 * Mocked {@link Ptrace} and {@link Libc} that play a script of wait statuses and syscall stops
 * to a {@link Tracer}, with a sparse tracee memory that records every write.
 */
public final class ScriptedKernel {

    /**
     * The program's pid. It is above the largest pid_max Linux allows (2^22), so no real
     * /proc/PID exists and code that reads /proc directly finds nothing.
     */
    public static final int PROGRAM = 5_000_001;
    /** The pid of a second process of the view. */
    public static final int CHILD = 5_000_002;
    public static final long STACK_POINTER = 0x7ffc_0000_8000L;
    public static final long INSTRUCTION_POINTER = 0x40_1002L;

    public static final int SIGTRAP = 5;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    private static final int ECHILD = 10;
    private static final int EFAULT = 14;

    /** A write into tracee memory. */
    public record Write(int pid, long address, byte[] data) {
        /** Returns the data as a byte string. */
        public String text() {
            return new String(data, StandardCharsets.ISO_8859_1);
        }
    }

    public final Ptrace ptrace = mock(Ptrace.class);
    public final Libc libc = mock(Libc.class);

    /** A scripted wait status, with the syscall info the tracer may read at that stop. */
    private record Wait(int tid, int status, Consumer<SyscallInfo> info) {
    }

    private final Deque<Wait> waits = new ArrayDeque<>();
    /** The syscall info of each thread's current stop, as the kernel keeps it until the next resume. */
    private final java.util.Map<Integer, Consumer<SyscallInfo>> currentInfo = new java.util.HashMap<>();
    private final TreeMap<Long, byte[]> memory = new TreeMap<>();
    private final List<Write> writes = new ArrayList<>();

    /** Creates the mocks; spawn returns {@link #PROGRAM} and waitpid plays the script, then ECHILD. */
    public ScriptedKernel() {
        when(libc.pipe()).thenReturn(new int[] {20, 21});
        when(libc.spawn(anyString(), anyList(), anyList(), anyInt())).thenReturn(PROGRAM);
        when(libc.waitpid(anyInt(), anyInt(), any(int[].class))).thenAnswer(call -> {
            Wait next = waits.pollFirst();
            if (next == null) {
                return -ECHILD;
            }
            if (next.info() != null) {
                currentInfo.put(next.tid(), next.info());
            } else {
                currentInfo.remove(next.tid());
            }
            call.<int[]>getArgument(2)[0] = next.status();
            return next.tid();
        });
        doAnswer(call -> {
            Consumer<SyscallInfo> fill = currentInfo.get(call.<Integer>getArgument(0));
            if (fill == null) {
                throw new AssertionError("PTRACE_GET_SYSCALL_INFO on " + call.getArgument(0) + " with no stop scripted");
            }
            fill.accept(call.getArgument(1));
            return null;
        }).when(ptrace).syscallInfo(anyInt(), any(SyscallInfo.class));
        when(libc.readMemory(anyInt(), anyLong(), any(byte[].class), anyInt())).thenAnswer(
                call -> read(call.getArgument(1), call.getArgument(2), call.getArgument(3)));
        when(libc.writeMemory(anyInt(), anyLong(), any(byte[].class), anyInt())).thenAnswer(call -> {
            byte[] data = Arrays.copyOf(call.<byte[]>getArgument(2), call.<Integer>getArgument(3));
            writes.add(new Write(call.getArgument(0), call.getArgument(1), data));
            memory.put(call.getArgument(1), data);
            return data.length;
        });
    }

    // Wait statuses as the kernel encodes them (see waitpid(2) and ptrace(2)).

    public static int exited(int code) {
        return code << 8;
    }

    public static int killed(int signal) {
        return signal;
    }

    /** Returns the status of a process killed by {@code signal} that dumped core. */
    public static int killedWithCore(int signal) {
        return signal | 0x80;
    }

    /** Returns a signal-delivery-stop. */
    public static int signalStop(int signal) {
        return signal << 8 | 0x7f;
    }

    /** Returns a PTRACE_EVENT_* stop other than PTRACE_EVENT_STOP: SIGTRAP with the event above it. */
    public static int eventStop(int event) {
        return event << 16 | SIGTRAP << 8 | 0x7f;
    }

    /** Returns a PTRACE_EVENT_STOP (group-stop or a new tracee's first stop) with {@code signal}. */
    public static int groupStop(int signal) {
        return Ptrace.PTRACE_EVENT_STOP << 16 | signal << 8 | 0x7f;
    }

    /** Returns a syscall-exit-stop under PTRACE_O_TRACESYSGOOD. */
    public static int syscallExitStop() {
        return (SIGTRAP | 0x80) << 8 | 0x7f;
    }

    /** Queues a wait status for {@code tid}. */
    public ScriptedKernel waitStatus(int tid, int status) {
        waits.addLast(new Wait(tid, status, null));
        return this;
    }

    private ScriptedKernel syscallStop(int tid, int status, Consumer<SyscallInfo> info) {
        waits.addLast(new Wait(tid, status, info));
        return this;
    }

    /** Queues a seccomp stop of {@code tid} for syscall {@code nr} of the native ABI. */
    public ScriptedKernel seccompStop(int tid, long nr, long... arguments) {
        return syscallStop(tid, eventStop(Ptrace.PTRACE_EVENT_SECCOMP), enteringSyscall(SyscallInfo.OP_SECCOMP, nr,
                arguments));
    }

    /** Returns a filler for the info of a stop where syscall {@code nr} is entered. */
    private static Consumer<SyscallInfo> enteringSyscall(int op, long nr, long[] arguments) {
        return info -> {
            info.op = op;
            info.arch = X86_64.AUDIT_ARCH_X86_64;
            info.instructionPointer = INSTRUCTION_POINTER;
            info.stackPointer = STACK_POINTER;
            info.nr = nr;
            Arrays.fill(info.args, 0);
            System.arraycopy(arguments, 0, info.args, 0, arguments.length);
        };
    }

    /**
     * Queues the syscall-exit-stop of {@code tid} with {@code returnValue}. Like the kernel's
     * exit variant of struct ptrace_syscall_info, it leaves nr and the arguments as they were.
     */
    public ScriptedKernel syscallExit(int tid, long returnValue) {
        return syscallStop(tid, syscallExitStop(), info -> {
            info.op = SyscallInfo.OP_EXIT;
            info.instructionPointer = INSTRUCTION_POINTER;
            info.stackPointer = STACK_POINTER;
            info.returnValue = returnValue;
            info.isError = returnValue < 0 && returnValue > -4096;
        });
    }

    /**
     * Queues the PTRACE_EVENT_EXEC stop of {@code tid}, a thread group leader, whose new program
     * starts with its stack pointer at {@code stackPointer}.
     */
    public ScriptedKernel execStop(int tid, long stackPointer) {
        when(ptrace.eventMessage(tid)).thenReturn((long) tid);
        return syscallStop(tid, eventStop(Ptrace.PTRACE_EVENT_EXEC), info -> {
            info.op = 0;
            info.instructionPointer = INSTRUCTION_POINTER;
            info.stackPointer = stackPointer;
        });
    }

    /** Places {@code data} in tracee memory at {@code address}. */
    public ScriptedKernel memory(long address, byte[] data) {
        memory.put(address, data.clone());
        return this;
    }

    /** Places a NUL-terminated byte string in tracee memory at {@code address}. */
    public ScriptedKernel string(long address, String value) {
        byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
        return memory(address, Arrays.copyOf(raw, raw.length + 1));
    }

    /** Returns the writes into tracee memory, in order. */
    public List<Write> writes() {
        return List.copyOf(writes);
    }

    /** Returns the number of scripted syscall stops that the tracer never waited for. */
    public int unreadStops() {
        return (int) waits.stream().filter(wait -> wait.info() != null).count();
    }

    /** Runs a tracer with {@code handler} over the script and returns the exit status it reports. */
    public int run(SyscallHandler handler) {
        return run(handler, filter());
    }

    /** Runs a tracer with {@code handler} and {@code filter} over the script. */
    public int run(SyscallHandler handler, SeccompFilter filter) {
        Tracer tracer = new Tracer(ptrace, libc, X86_64.INSTANCE, handler);
        return tracer.run("/opt/kmview/libexec/kmview-exec", List.of("prog", "arg"), List.of("PATH=/usr/bin"),
                "", "", filter);
    }

    /** Runs {@code tracer}, made with {@link #tracer}, over the script with the filter of a view with no service. */
    public int run(Tracer tracer) {
        return tracer.run("/opt/kmview/libexec/kmview-exec", List.of("prog", "arg"), List.of("PATH=/usr/bin"), "",
                "", filter());
    }

    /** Returns a tracer over these mocks, for tests whose handler calls back into the tracer. */
    public Tracer tracer(SyscallHandler handler) {
        return new Tracer(ptrace, libc, X86_64.INSTANCE, handler);
    }

    /** Queues a syscall-entry-stop of {@code tid} (PTRACE_SYSCALL) for syscall {@code nr}. */
    public ScriptedKernel syscallEntry(int tid, long nr, long... arguments) {
        return syscallStop(tid, syscallExitStop(), enteringSyscall(SyscallInfo.OP_ENTRY, nr, arguments));
    }

    /** Returns the filter of a view with no service loaded. */
    public static SeccompFilter filter() {
        return new SeccompFilter(X86_64.AUDIT_ARCH_X86_64)
                .trapReserved(ManagementCall.BASE - ManagementCall.COUNT + 1, ManagementCall.BASE);
    }

    /** Copies tracee memory like process_vm_readv: what is readable from the first byte on, else -EFAULT. */
    private int read(long address, byte[] into, int length) {
        Map.Entry<Long, byte[]> region = memory.floorEntry(address);
        if (region == null || address >= region.getKey() + region.getValue().length) {
            return -EFAULT;
        }
        int offset = (int) (address - region.getKey());
        int count = Math.min(length, region.getValue().length - offset);
        System.arraycopy(region.getValue(), offset, into, 0, count);
        return count;
    }
}
