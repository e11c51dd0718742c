package org.kmview.core.internal.tracer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.core.internal.tracer.ScriptedKernel.CHILD;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.kmview.core.internal.dispatch.ManagementCall;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.nativeaccess.NativeException;
import org.kmview.core.internal.nativeaccess.Ptrace;

class TracerTest {

    private static final long RSI = 13 * 8;
    private static final int ESRCH = 3;
    private static final int EPERM = 1;
    private static final int EINTR = 4;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final Ptrace ptrace = kernel.ptrace;
    private final Libc libc = kernel.libc;
    private final SyscallHandler idle = stop -> { };

    @Test
    void exitedStatus() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(3));

        assertEquals(3, kernel.run(idle));
    }

    @Test
    void killedStatus() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.killed(ScriptedKernel.SIGSEGV));

        assertEquals(139, kernel.run(idle));
    }

    @Test
    void killedWithCoreStatus() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.killedWithCore(ScriptedKernel.SIGSEGV));

        assertEquals(139, kernel.run(idle));
    }

    @Test
    void statusIsProgramsNotChilds() {
        kernel.waitStatus(CHILD, ScriptedKernel.exited(7))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));

        assertEquals(0, kernel.run(idle));
    }

    @Test
    void waitsForLastProcess() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(5))
                .waitStatus(CHILD, ScriptedKernel.exited(0));

        assertEquals(5, kernel.run(idle));
        // Every wait covers all tracees of this thread only; WNOHANG may be added while polling.
        int required = Libc.__WALL | Libc.__WNOTHREAD;
        verify(libc, times(3)).waitpid(eq(-1), org.mockito.ArgumentMatchers.intThat(
                options -> (options & required) == required), any(int[].class));
        verify(libc, times(3)).waitpid(anyInt(), anyInt(), any(int[].class));
    }

    @Test
    void launchSeizesWithOptions() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        ArgumentCaptor<Long> options = ArgumentCaptor.forClass(Long.class);
        verify(ptrace).seize(eq(PROGRAM), options.capture());
        long expected = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_TRACEFORK | Ptrace.PTRACE_O_TRACEVFORK
                | Ptrace.PTRACE_O_TRACECLONE | Ptrace.PTRACE_O_TRACEEXEC | Ptrace.PTRACE_O_TRACESECCOMP
                | Ptrace.PTRACE_O_EXITKILL;
        assertEquals(expected, options.getValue());
    }

    @Test
    void launchPassesArguments() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(libc).spawn("/opt/kmview/libexec/kmview-exec", List.of("kmview-exec", "20", "-", "-", "0", "prog", "arg"),
                List.of("PATH=/usr/bin"), 20);
    }

    @Test
    void launchSendsFilter() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        SeccompFilter filter = ScriptedKernel.filter();
        kernel.run(idle, filter);

        ArgumentCaptor<byte[]> message = ArgumentCaptor.forClass(byte[].class);
        verify(libc).writeFully(eq(21), message.capture());
        byte[] instructions = filter.toBytes();
        ByteBuffer sent = ByteBuffer.wrap(message.getValue()).order(ByteOrder.nativeOrder());
        assertEquals(instructions.length / 8, sent.getInt());
        byte[] rest = new byte[sent.remaining()];
        sent.get(rest);
        assertArrayEquals(instructions, rest);
    }

    @Test
    void launchClosesPipe() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(libc).close(20);
        verify(libc).close(21);
    }

    @Test
    void launchSeizesBeforeFilter() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        InOrder order = inOrder(libc, ptrace);
        order.verify(libc).spawn(any(), any(), any(), anyInt());
        order.verify(ptrace).seize(eq(PROGRAM), anyLong());
        order.verify(libc).writeFully(eq(21), any());
    }

    @Test
    void groupStopListens() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.groupStop(ScriptedKernel.SIGTSTP))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).listen(PROGRAM);
        verify(ptrace, never()).cont(eq(PROGRAM), anyInt());
    }

    @Test
    void everyStopSignalListens() {
        for (int signal : new int[] {ScriptedKernel.SIGSTOP, ScriptedKernel.SIGTTIN, ScriptedKernel.SIGTTOU}) {
            kernel.waitStatus(PROGRAM, ScriptedKernel.groupStop(signal));
        }
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace, times(3)).listen(PROGRAM);
    }

    @Test
    void eventStopWithTrapContinues() {
        // A new tracee's first stop, or the end of a group-stop after SIGCONT.
        kernel.waitStatus(PROGRAM, ScriptedKernel.groupStop(ScriptedKernel.SIGTRAP))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(PROGRAM, 0);
        verify(ptrace, never()).listen(anyInt());
    }

    @Test
    void signalDeliveryReinjected() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.signalStop(ScriptedKernel.SIGUSR1))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(PROGRAM, ScriptedKernel.SIGUSR1);
    }

    @Test
    void plainSigtrapReinjected() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.signalStop(ScriptedKernel.SIGTRAP))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(PROGRAM, ScriptedKernel.SIGTRAP);
    }

    @Test
    void sigstopDeliveryReinjected() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.signalStop(ScriptedKernel.SIGSTOP))
                .waitStatus(PROGRAM, ScriptedKernel.groupStop(ScriptedKernel.SIGSTOP))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(PROGRAM, ScriptedKernel.SIGSTOP);
        verify(ptrace).listen(PROGRAM);
    }

    @Test
    void forkChildContinued() {
        when(ptrace.eventMessage(PROGRAM)).thenReturn((long) CHILD);
        kernel.waitStatus(PROGRAM, ScriptedKernel.eventStop(Ptrace.PTRACE_EVENT_FORK))
                .waitStatus(CHILD, ScriptedKernel.groupStop(ScriptedKernel.SIGTRAP))
                .waitStatus(CHILD, ScriptedKernel.exited(0))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(PROGRAM, 0);
        verify(ptrace).cont(CHILD, 0);
    }

    @Test
    void childStopBeforeForkEvent() {
        // The child's first stop may be reported before the parent's fork event.
        when(ptrace.eventMessage(PROGRAM)).thenReturn((long) CHILD);
        kernel.waitStatus(CHILD, ScriptedKernel.groupStop(ScriptedKernel.SIGTRAP))
                .waitStatus(PROGRAM, ScriptedKernel.eventStop(Ptrace.PTRACE_EVENT_CLONE))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(idle);

        verify(ptrace).cont(CHILD, 0);
        verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void exitReportedToHandler() {
        SyscallHandler handler = mock(SyscallHandler.class);
        kernel.waitStatus(CHILD, ScriptedKernel.killed(9))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(handler);

        verify(handler).onProcessExit(CHILD);
        verify(handler).onProcessExit(PROGRAM);
    }

    @Test
    void execByThreadForgetsOldTid() {
        SyscallHandler handler = mock(SyscallHandler.class);
        when(ptrace.eventMessage(PROGRAM)).thenReturn((long) CHILD);
        kernel.waitStatus(PROGRAM, ScriptedKernel.eventStop(Ptrace.PTRACE_EVENT_EXEC))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(handler);

        verify(handler).onProcessExit(CHILD);
        verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void seccompStopUnchangedContinues() {
        List<Long> seen = new ArrayList<>();
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> seen.add(stop.nr()));

        assertEquals(List.of(257L), seen);
        verify(ptrace).cont(PROGRAM, 0);
        verify(ptrace, never()).resumeToSyscallExit(anyInt(), anyInt());
        verify(ptrace, never()).pokeUser(anyInt(), anyLong(), anyLong());
    }

    @Test
    void editedArgumentRestoredAtExit() {
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .syscallExit(PROGRAM, 3)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> stop.setArgument(1, 0x2000));

        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, 0x2000);
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, 0x1000);
        order.verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void argumentReadsOriginalAfterEdit() {
        List<Long> seen = new ArrayList<>();
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .syscallExit(PROGRAM, 3)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> {
            stop.setArgument(1, 0x2000);
            stop.setArgument(1, 0x3000);
            seen.add(stop.argument(1));
        });

        assertEquals(List.of(0x1000L), seen);
        verify(ptrace).pokeUser(PROGRAM, RSI, 0x1000);
    }

    @Test
    void exitActionSeesReturnValue() {
        List<Long> seen = new ArrayList<>();
        kernel.seccompStop(PROGRAM, 217, 3, 0x5000, 4096)
                .syscallExit(PROGRAM, 96)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> stop.atExit(exit -> seen.add(exit.returnValue())));

        assertEquals(List.of(96L), seen);
        verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
    }

    @Test
    void skippedCallNeedsNoExitStop() {
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> {
            stop.setArgument(1, 0x2000);
            stop.fail(2);
        });

        verify(ptrace, never()).resumeToSyscallExit(anyInt(), anyInt());
        verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void skipRestoresEditedArgument() {
        // x86_64 preserves argument registers across a syscall, a skipped one included.
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> {
            stop.setArgument(1, 0x2000);
            stop.fail(2);
        });

        verify(ptrace).pokeUser(PROGRAM, RSI, 0x1000);
    }

    @Test
    void execDuringSyscallSkipsRestore() {
        // execve rewritten, then the exec replaces the registers: nothing is restored.
        when(ptrace.eventMessage(PROGRAM)).thenReturn((long) PROGRAM);
        kernel.seccompStop(PROGRAM, 59, 0x1000, 0x1100, 0x1200)
                .waitStatus(PROGRAM, ScriptedKernel.eventStop(Ptrace.PTRACE_EVENT_EXEC))
                .syscallExit(PROGRAM, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> stop.setArgument(0, 0x2000));

        verify(ptrace, never()).pokeUser(PROGRAM, 14 * 8, 0x1000);
        // The exec event resumes to the exit stop, which is still expected; then the thread runs on.
        verify(ptrace, times(2)).resumeToSyscallExit(PROGRAM, 0);
        verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void pushToStackSkipsRedZone() {
        List<Long> addresses = new ArrayList<>();
        kernel.seccompStop(PROGRAM, 257, -100, 0x1000, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(stop -> {
            addresses.add(stop.pushString("/first"));
            addresses.add(stop.pushString("/second/path"));
        });

        long first = addresses.get(0);
        long second = addresses.get(1);
        assertTrue(first + "/first".length() + 1 <= ScriptedKernel.STACK_POINTER - 128, "first in red zone");
        assertEquals(0, first % 16);
        assertTrue(second + "/second/path".length() + 1 <= first, "second overlaps first");
        assertEquals(0, second % 16);
    }

    @Test
    void vanishedTraceeIgnored() {
        doThrow(new NativeException("ptrace(PTRACE_CONT, " + CHILD + ")", ESRCH)).when(ptrace).cont(CHILD, 0);
        kernel.waitStatus(CHILD, ScriptedKernel.groupStop(ScriptedKernel.SIGTRAP))
                .waitStatus(CHILD, ScriptedKernel.killed(9))
                .waitStatus(PROGRAM, ScriptedKernel.exited(4));

        assertEquals(4, kernel.run(idle));
    }

    @Test
    void otherPtraceErrorPropagates() {
        doThrow(new NativeException("ptrace(PTRACE_CONT, " + CHILD + ")", EPERM)).when(ptrace).cont(CHILD, 0);
        kernel.waitStatus(CHILD, ScriptedKernel.groupStop(ScriptedKernel.SIGTRAP));

        NativeException e = assertThrows(NativeException.class, () -> kernel.run(idle));
        assertEquals(EPERM, e.errno());
    }

    @Test
    void waitInterruptedRetried() {
        when(libc.waitpid(anyInt(), anyInt(), any(int[].class))).thenReturn(-EINTR).thenAnswer(call -> {
            call.<int[]>getArgument(2)[0] = ScriptedKernel.exited(6);
            return PROGRAM;
        }).thenReturn(-10);

        assertEquals(6, kernel.run(idle));
    }

    @Test
    void waitFailureThrows() {
        when(libc.waitpid(anyInt(), anyInt(), any(int[].class))).thenReturn(-22);

        NativeException e = assertThrows(NativeException.class, () -> kernel.run(idle));
        assertEquals(22, e.errno());
    }

    @Test
    void addedFilterInjectedAtNextEntry() {
        // A handler adds a filter while serving a management call. The thread then stops at that
        // call's exit, where nothing happens, and at its next syscall entry, where read(2) becomes seccomp().
        byte[] filter = new byte[24];
        Tracer[] tracer = new Tracer[1];
        kernel.seccompStop(PROGRAM, ManagementCall.PING)
                .syscallExit(PROGRAM, 0)
                .syscallEntry(PROGRAM, 0, 3, 0x7000, 64)
                .syscallExit(PROGRAM, 0)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        tracer[0] = kernel.tracer(stop -> {
            tracer[0].addFilter(filter);
            stop.skip(0);
        });
        kernel.run(tracer[0]);

        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, 15 * 8, 317);
        order.verify(ptrace).pokeUser(PROGRAM, 14 * 8, 1);
        order.verify(ptrace).pokeUser(PROGRAM, 14 * 8, 3);
        order.verify(ptrace).pokeUser(PROGRAM, 10 * 8, 0);
        order.verify(ptrace).pokeUser(PROGRAM, 16 * 8, ScriptedKernel.INSTRUCTION_POINTER - 2);
        order.verify(ptrace).cont(PROGRAM, 0);
        assertEquals(1, kernel.writes().stream().filter(write -> write.data().length == filter.length).count());
    }

    @Test
    void writeTrapInheritedByChild() {
        // The handler makes the process trap its writes while serving an open of a control file.
        // The thread gets the write-trap filter at its next syscall entry; a child it forks after
        // has the filter already and is never injected.
        byte[] writeTrap = new byte[24];
        Tracer[] tracer = new Tracer[1];
        kernel.seccompStop(PROGRAM, ManagementCall.PING)
                .syscallExit(PROGRAM, 0)
                .syscallEntry(PROGRAM, 1, 1, 0x7000, 4)
                .syscallExit(PROGRAM, 0)
                .waitStatus(PROGRAM, ScriptedKernel.eventStop(Ptrace.PTRACE_EVENT_FORK))
                .seccompStop(ScriptedKernel.CHILD, ManagementCall.PING)
                .waitStatus(ScriptedKernel.CHILD, ScriptedKernel.exited(0))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        when(ptrace.eventMessage(PROGRAM)).thenReturn((long) ScriptedKernel.CHILD);
        int[] calls = {0};
        tracer[0] = kernel.tracer(stop -> {
            if (calls[0]++ == 0) {
                tracer[0].setTrapFilter(Tracer.TRAP_WRITES, writeTrap);
                tracer[0].trapCalls(stop.tracee().tid(), Tracer.TRAP_WRITES);
            }
            stop.skip(0);
        });
        kernel.run(tracer[0]);

        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, 15 * 8, 317);
        order.verify(ptrace).pokeUser(PROGRAM, 16 * 8, ScriptedKernel.INSTRUCTION_POINTER - 2);
        assertEquals(1, kernel.writes().stream().filter(write -> write.data().length == writeTrap.length).count());
        assertEquals(2, calls[0], "the child's management call reached the handler");
        verify(ptrace, never()).pokeUser(ScriptedKernel.CHILD, 15 * 8, 317);
    }

    private static final int DAEMON = 5_000_003;

    @Test
    void serveUntilServesChosenThreadsAndHoldsOthers() {
        kernel.seccompStop(DAEMON, ManagementCall.PING)
                .seccompStop(PROGRAM, ManagementCall.PING)
                .seccompStop(CHILD, ManagementCall.PING)
                .seccompStop(DAEMON, ManagementCall.PING)
                .waitStatus(DAEMON, ScriptedKernel.exited(0))
                .waitStatus(CHILD, ScriptedKernel.exited(0))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        List<Integer> served = new ArrayList<>();
        List<org.kmview.spi.ServiceContext.WaitOutcome> outcomes = new ArrayList<>();
        Tracer[] tracer = new Tracer[1];
        tracer[0] = kernel.tracer(stop -> {
            int tid = stop.tracee().tid();
            served.add(tid);
            if (tid == PROGRAM) {
                outcomes.add(tracer[0].serveUntil(() -> served.lastIndexOf(DAEMON) > 0, thread -> thread == DAEMON,
                        1_000_000_000L));
            }
            stop.skip(0);
        });

        assertEquals(0, kernel.run(tracer[0]));

        assertEquals(List.of(org.kmview.spi.ServiceContext.WaitOutcome.DONE), outcomes);
        assertEquals(List.of(DAEMON, PROGRAM, DAEMON, CHILD), served, "the child's stop waited for the program's handler");
    }

    @Test
    void serveUntilRefusesToWaitForItsCaller() {
        kernel.seccompStop(PROGRAM, ManagementCall.PING)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        List<org.kmview.spi.ServiceContext.WaitOutcome> outcomes = new ArrayList<>();
        Tracer[] tracer = new Tracer[1];
        tracer[0] = kernel.tracer(stop -> {
            outcomes.add(tracer[0].serveUntil(() -> false, thread -> thread == PROGRAM, 1_000_000_000L));
            stop.skip(0);
        });

        kernel.run(tracer[0]);

        assertEquals(List.of(org.kmview.spi.ServiceContext.WaitOutcome.CALLER_WAITED_FOR), outcomes);
    }

    @Test
    void serveUntilEndsWhenServedThreadsEnd() {
        kernel.seccompStop(DAEMON, ManagementCall.PING)
                .seccompStop(PROGRAM, ManagementCall.PING)
                .waitStatus(DAEMON, ScriptedKernel.exited(1))
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        List<org.kmview.spi.ServiceContext.WaitOutcome> outcomes = new ArrayList<>();
        Tracer[] tracer = new Tracer[1];
        tracer[0] = kernel.tracer(stop -> {
            if (stop.tracee().tid() == PROGRAM) {
                outcomes.add(tracer[0].serveUntil(() -> false, thread -> thread == DAEMON, 1_000_000_000L));
            }
            stop.skip(0);
        });

        kernel.run(tracer[0]);

        assertEquals(List.of(org.kmview.spi.ServiceContext.WaitOutcome.NONE_LEFT), outcomes);
    }

    @Test
    void handlerHearsWhichThreadsOutliveProgram() {
        kernel.seccompStop(CHILD, ManagementCall.PING)
                .waitStatus(PROGRAM, ScriptedKernel.exited(4))
                .waitStatus(CHILD, ScriptedKernel.exited(0));
        List<java.util.Set<Integer>> left = new ArrayList<>();
        SyscallHandler handler = new SyscallHandler() {
            @Override
            public void onEntry(SyscallStop stop) {
                stop.skip(0);
            }

            @Override
            public void onProgramGone(java.util.Set<Integer> threads) {
                left.add(threads);
            }
        };

        assertEquals(4, kernel.run(handler));

        assertEquals(List.of(java.util.Set.of(CHILD)), left);
    }
}
