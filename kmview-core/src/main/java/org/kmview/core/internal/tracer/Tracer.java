package org.kmview.core.internal.tracer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.kmview.core.Log;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.nativeaccess.NativeException;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.nativeaccess.SyscallInfo;
import org.kmview.core.internal.syscall.Arch;
import org.kmview.spi.ServiceContext;

/**
 * Runs a program and every process it starts under ptrace, and hands each trapped syscall to
 * the {@link SyscallHandler}.
 *
 * <p>Precondition of {@link #run}: it runs on the thread that is to be the tracer; ptrace
 * requests are bound to the thread that attached, so every ptrace and wait call of the view
 * happens on it. It waits with {@code __WALL | __WNOTHREAD}, so children that other JVM threads
 * started are never reaped here.
 */
public final class Tracer {

    private static final Log LOG = Log.of(Tracer.class);

    private static final long OPTIONS = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_TRACEFORK
            | Ptrace.PTRACE_O_TRACEVFORK | Ptrace.PTRACE_O_TRACECLONE | Ptrace.PTRACE_O_TRACEEXEC
            | Ptrace.PTRACE_O_TRACESECCOMP | Ptrace.PTRACE_O_EXITKILL;

    private static final int SIGTRAP = 5;
    private static final int SIGSTOP = 19;
    private static final int SIGTSTP = 20;
    private static final int SIGTTIN = 21;
    private static final int SIGTTOU = 22;
    private static final int ESRCH = 3;
    private static final int ECHILD = 10;
    private static final int EINTR = 4;
    private static final int WNOHANG = 1;
    private static final long SECCOMP_SET_MODE_FILTER = 1;
    /** Non-blocking waits before a blocking one; Integer.getInteger lets benchmarks compare. */
    private static final int SPIN_POLLS = Integer.getInteger("kmview.spinPolls", 200);
    /** The maximum sleep between polls while a service waits for a process of the view. */
    private static final long MAX_SERVE_SLEEP_NANOS = 50_000;

    private final Ptrace ptrace;
    private final Libc libc;
    private final Arch arch;
    private final SyscallHandler handler;
    private final Map<Integer, Tracee> tracees = new HashMap<>();
    /** The ids of the traced threads, readable from any thread (the tracees map is the tracer's own). */
    private final java.util.Set<Integer> liveThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final byte[] stringBuffer = new byte[SyscallStop.PATH_MAX];
    private SyscallStop current;

    private volatile int programPid;
    /** Filters added to running processes, by generation; index 0 is unused. */
    private final List<byte[]> widerFilters = new java.util.ArrayList<>(List.of(new byte[0]));
    /** The per-process trap filters, by trap number; empty until set. */
    private final byte[][] trapFilters = {new byte[0], new byte[0], new byte[0]};
    /** The per-process trap of write calls, for processes that opened a control file. */
    public static final int TRAP_WRITES = 0;
    /** The per-process trap of close and sync calls, for processes that write files a mount syncs. */
    public static final int TRAP_CLOSES = 1;
    /**
     * The per-process trap of calls that return a socket's address, for processes that bound or
     * connected an AF_UNIX socket by a path that a mount translated.
     */
    public static final int TRAP_SOCKET_NAMES = 2;
    private final SyscallInfo injectionInfo = new SyscallInfo();
    /** The thread whose seccomp stop the handler is serving. */
    private int handlingTid;
    private int exitStatus = -1;
    /** Wait statuses that arrived while {@link #serveUntil} served other threads, oldest first. */
    private final java.util.ArrayDeque<int[]> deferred = new java.util.ArrayDeque<>();

    /** Creates a tracer that serves trapped syscalls with {@code handler}. */
    public Tracer(Ptrace ptrace, Libc libc, Arch arch, SyscallHandler handler) {
        this.ptrace = ptrace;
        this.libc = libc;
        this.arch = arch;
        this.handler = handler;
        this.current = newStop();
    }

    /**
     * Starts the program through the exec stub and traces it and its descendants until all of
     * them ended.
     *
     * <p>Precondition: runs on the tracer thread.
     *
     * @param execStub the path of kmview-exec
     * @param program the program and its arguments
     * @param environment the program's environment, {@code NAME=VALUE} byte strings
     * @param keepFds the descriptors the program inherits, as a comma list. kmview-exec closes
     *        every other one, 0 to 2 included.
     * @param signalMasks the signals the program starts with ignored and blocked, as
     *        {@code IGNORED:BLOCKED} hex masks, or an empty string to keep kmview-exec's
     * @param filter the seccomp-bpf program
     * @return the program's exit status, or 128+N if a signal N killed it
     */
    public int run(String execStub, List<String> program, List<String> environment, String keepFds,
                   String signalMasks, SeccompFilter filter) {
        return run(execStub, List.of(), program, environment, keepFds, signalMasks, filter);
    }

    /**
     * Runs {@code rcFiles} in the view, in order, and then the program, as {@link #run(String,
     * List, List, String, String, SeccompFilter)} does. kmview-exec runs the rc files, and one
     * that fails stops it before the program.
     */
    public int run(String execStub, List<String> rcFiles, List<String> program, List<String> environment,
                   String keepFds, String signalMasks, SeccompFilter filter) {
        programPid = launch(execStub, rcFiles, program, environment, keepFds, signalMasks, filter);
        LOG.debug("[{}] started {}", programPid, program);
        loop();
        return exitStatus;
    }

    /** Returns the ids of the threads traced now. Any thread may call it, and the list may be stale at once. */
    public java.util.List<Integer> threads() {
        return java.util.List.copyOf(liveThreads);
    }

    /** Returns the pid of the program, valid once {@link #run} started it. */
    public int programPid() {
        return programPid;
    }

    private int launch(String execStub, List<String> rcFiles, List<String> program, List<String> environment,
                       String keepFds, String signalMasks, SeccompFilter filter) {
        int[] control = libc.pipe();
        int pid;
        try {
            List<String> argv = new java.util.ArrayList<>();
            argv.add("kmview-exec");
            argv.add(Integer.toString(control[0]));
            argv.add(keepFds.isEmpty() ? "-" : keepFds);
            argv.add(signalMasks.isEmpty() ? "-" : signalMasks);
            argv.add(Integer.toString(rcFiles.size()));
            argv.addAll(rcFiles);
            argv.addAll(program);
            pid = libc.spawn(execStub, argv, environment, control[0]);
        } finally {
            libc.close(control[0]);
        }

        // The stub blocks reading the filter, so it cannot run the program before it is seized.
        try {
            ptrace.seize(pid, OPTIONS);
            tracees.put(pid, new Tracee(pid));
            liveThreads.add(pid);
            byte[] instructions = filter.toBytes();
            ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
            header.putInt(instructions.length / 8);
            byte[] message = new byte[4 + instructions.length];
            System.arraycopy(header.array(), 0, message, 0, 4);
            System.arraycopy(instructions, 0, message, 4, instructions.length);
            libc.writeFully(control[1], message);
        } finally {
            libc.close(control[1]);
        }
        return pid;
    }

    private void loop() {
        int[] status = new int[1];
        // When no tracee is left, waitpid fails with ECHILD.
        while (true) {
            if (!deferred.isEmpty()) {
                int[] waiting = deferred.poll();
                handleSafely(waiting[0], waiting[1]);
                continue;
            }
            int tid = waitForTracee(status);
            if (tid == -EINTR) {
                continue;
            }
            if (tid == -ECHILD) {
                break;
            }
            if (tid < 0) {
                throw new NativeException("waitpid(-1, __WALL | __WNOTHREAD)", -tid);
            }
            handleSafely(tid, status[0]);
        }
    }

    private void handleSafely(int tid, int status) {
        try {
            handleStatus(tid, status);
        } catch (NativeException e) {
            if (e.errno() != ESRCH) {
                throw e;
            }
            // The thread was killed while stopped; its exit arrives as its own wait status.
            LOG.debug("[{}] vanished while stopped: {}", tid, e.getMessage());
        }
    }

    /**
     * Serves the stops of the threads {@code serves} accepts until {@code condition} holds. A
     * service calls it while it serves one process's call and needs another process of the view
     * to act first: a FUSE daemon that replies to a request. The stops of other threads stay
     * stopped until the outermost handler returns, so no other call reaches the service meanwhile.
     *
     * <p>Precondition: runs on the tracer thread, inside a handler.
     *
     * @param condition checked after each stop served
     * @param serves whether the stops of a thread, given by its id, are served now
     * @param timeoutNanos how long to wait at most
     * @return how the wait ended
     */
    public ServiceContext.WaitOutcome serveUntil(java.util.function.BooleanSupplier condition,
                                                 java.util.function.IntPredicate serves, long timeoutNanos) {
        if (condition.getAsBoolean()) {
            return ServiceContext.WaitOutcome.DONE;
        }
        if (serves.test(handlingTid)) {
            LOG.debug("[{}] would wait for its own process", handlingTid);
            return ServiceContext.WaitOutcome.CALLER_WAITED_FOR;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        SyscallStop outerStop = current;
        int outerTid = handlingTid;
        current = newStop();
        int[] status = new int[1];
        int idlePolls = 0;
        try {
            while (!condition.getAsBoolean()) {
                if (tracees.keySet().stream().noneMatch(serves::test)) {
                    LOG.debug("[{}] no process it waits for is left", outerTid);
                    return ServiceContext.WaitOutcome.NONE_LEFT;
                }
                if (System.nanoTime() - deadline >= 0) {
                    return ServiceContext.WaitOutcome.TIMED_OUT;
                }
                int tid = libc.waitpid(-1, Libc.__WALL | Libc.__WNOTHREAD | WNOHANG, status);
                if (tid == 0 || tid == -EINTR) {
                    // No blocking wait has a timeout, so poll: spin first, as the main loop does,
                    // then sleep in short steps, since a daemon's reply is usually under a millisecond away.
                    if (++idlePolls <= SPIN_POLLS) {
                        Thread.onSpinWait();
                    } else {
                        java.util.concurrent.locks.LockSupport.parkNanos(MAX_SERVE_SLEEP_NANOS);
                    }
                    continue;
                }
                if (tid < 0) {
                    return condition.getAsBoolean() ? ServiceContext.WaitOutcome.DONE
                            : ServiceContext.WaitOutcome.NONE_LEFT;
                }
                idlePolls = 0;
                if (exited(status[0]) || signaled(status[0]) || serves.test(tid)) {
                    // An ended thread is no stop to hold back, and the end of a served one is news.
                    handleSafely(tid, status[0]);
                } else {
                    deferred.add(new int[] {tid, status[0]});
                }
            }
            return ServiceContext.WaitOutcome.DONE;
        } finally {
            current = outerStop;
            handlingTid = outerTid;
        }
    }

    /**
     * Waits for the next stop or exit. A syscall-heavy program stops again within microseconds, so
     * the tracer polls briefly before it sleeps: waking a sleeping thread on another CPU costs more
     * than the whole stop. The poll is bounded, so an idle view costs no CPU.
     */
    private int waitForTracee(int[] status) {
        for (int i = 0; i < SPIN_POLLS; i++) {
            int tid = libc.waitpid(-1, Libc.__WALL | Libc.__WNOTHREAD | WNOHANG, status);
            if (tid != 0) {
                return tid;
            }
            Thread.onSpinWait();
        }
        return libc.waitpid(-1, Libc.__WALL | Libc.__WNOTHREAD, status);
    }

    private void handleStatus(int tid, int status) {
        if (exited(status) || signaled(status)) {
            onExit(tid, status);
            return;
        }
        if (!stopped(status)) {
            return;
        }
        Tracee tracee = tracees.computeIfAbsent(tid, Tracee::new);
        liveThreads.add(tid);
        int signal = (status >> 8) & 0xff;
        int event = (status >> 16) & 0xffff;

        if (signal != (SIGTRAP | 0x80) && !(signal == SIGTRAP && event == Ptrace.PTRACE_EVENT_STOP)) {
            tracee.listening = false;
        }
        if (signal == (SIGTRAP | 0x80)) {
            onSyscallStop(tracee);
        } else if (signal == SIGTRAP && event != 0) {
            onEvent(tracee, event);
        } else if (event == Ptrace.PTRACE_EVENT_STOP) {
            onEventStop(tracee, signal);
        } else {
            // A signal-delivery-stop: deliver the signal as the kernel would have.
            resume(tracee, signal);
        }
    }

    private void onEvent(Tracee tracee, int event) {
        int tid = tracee.tid();
        switch (event) {
            case Ptrace.PTRACE_EVENT_SECCOMP -> onSeccomp(tracee);
            case Ptrace.PTRACE_EVENT_FORK, Ptrace.PTRACE_EVENT_VFORK, Ptrace.PTRACE_EVENT_CLONE -> {
                int child = (int) ptrace.eventMessage(tid);
                // The child has the filters of the thread that created it, and its descriptors.
                Tracee created = tracees.computeIfAbsent(child, Tracee::new);
                liveThreads.add(child);
                created.filterGeneration = tracee.filterGeneration;
                created.trapsInstalled = tracee.trapsInstalled;
                created.trapsPending = tracee.trapsPending;
                LOG.trace("[{}] new thread or process {}", tid, child);
                handler.onNewThread(tid, child);
                resume(tracee, 0);
            }
            case Ptrace.PTRACE_EVENT_EXEC -> {
                int formerTid = (int) ptrace.eventMessage(tid);
                if (formerTid != tid) {
                    // A non-leader thread exec'd: it now has the leader's id and the old id is gone.
                    Tracee former = tracees.remove(formerTid);
                    liveThreads.remove(formerTid);
                    if (former != null && former.pendingExit != null) {
                        tracee.pendingExit = former.pendingExit;
                    }
                    handler.onProcessExit(formerTid);
                }
                tracee.setTgid(tid);
                if (tracee.pendingExit != null) {
                    tracee.execedDuringSyscall = true;
                    tracee.pendingExit.finishAtExec(tracee);
                }
                resume(tracee, 0);
            }
            default -> resume(tracee, 0);
        }
    }

    private void onEventStop(Tracee tracee, int signal) {
        if (signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU) {
            // Group-stop: stay stopped, as outside, until SIGCONT arrives.
            ptrace.listen(tracee.tid());
            tracee.listening = true;
            if (signal != SIGSTOP && tracee.tid() == programPid && libc.getpgid(programPid) == libc.getpgid(0)) {
                // The terminal stopped the job kmview belongs to (Ctrl-Z). kmview stops too, so the
                // shell reports its job stopped, and the shell's SIGCONT reaches kmview and the program alike.
                LOG.debug("[{}] stopped by signal {}; stopping kmview", programPid, signal);
                libc.kill(libc.getpid(), SIGSTOP);
            }
        } else {
            // The first stop of a newly attached thread, the end of a group-stop, or PTRACE_INTERRUPT.
            tracee.listening = false;
            resume(tracee, 0);
        }
    }

    private void onSeccomp(Tracee tracee) {
        if (needsWiderFilter(tracee)) {
            // The syscall runs again after seccomp(), under the wider filter, and stops here again.
            injectFilter(tracee);
            return;
        }
        SyscallStop stop = current;
        stop.reset(tracee);
        handlingTid = tracee.tid();
        handler.onEntry(stop);
        if (stop.needsExitStop()) {
            tracee.pendingExit = stop;
            tracee.execedDuringSyscall = false;
            current = newStop();
            ptrace.resumeToSyscallExit(tracee.tid(), 0);
        } else {
            resume(tracee, 0);
        }
    }

    /**
     * Handles a stop under PTRACE_SYSCALL: the exit of a syscall whose exit kmview asked for, the
     * exit of an injected seccomp(), or the entry of a syscall of a thread that needs a wider filter.
     */
    private void onSyscallStop(Tracee tracee) {
        if (tracee.injection != null) {
            finishInjection(tracee);
            return;
        }
        SyscallStop stop = tracee.pendingExit;
        if (stop != null) {
            tracee.pendingExit = null;
            stop.finishAtExit(tracee, tracee.execedDuringSyscall);
            resume(tracee, 0);
            return;
        }
        if (needsWiderFilter(tracee)) {
            // Resumed from a seccomp stop, the thread stops at that syscall's exit first; the entry
            // of its next syscall is the place for seccomp().
            ptrace.syscallInfo(tracee.tid(), injectionInfo);
            if (injectionInfo.op == SyscallInfo.OP_ENTRY) {
                injectFilter(tracee);
                return;
            }
        }
        resume(tracee, 0);
    }

    /**
     * Adds {@code filter} to every process of the view, so syscalls no filter trapped before stop
     * at the tracer too. Each thread runs seccomp() itself at its next syscall: a thread blocked
     * in one is interrupted, and the interrupted syscall restarts after. A thread in group-stop
     * gets the filter when it continues.
     *
     * <p>Precondition: runs on the tracer thread, while a handler serves a seccomp stop.
     */
    public void addFilter(byte[] filter) {
        int caller = handlingTid;
        widerFilters.add(filter);
        for (Tracee tracee : List.copyOf(tracees.values())) {
            if (tracee.tid() == caller || tracee.listening) {
                continue;
            }
            try {
                ptrace.interrupt(tracee.tid());
            } catch (NativeException e) {
                LOG.debug("[{}] cannot interrupt to add a filter: {}", tracee.tid(), e.getMessage());
            }
        }
        LOG.debug("[{}] filter generation {} added", caller, widerFilters.size() - 1);
    }

    /** Sets the filter {@link #trapCalls} adds for {@code trap}, one of the TRAP_ constants. */
    public void setTrapFilter(int trap, byte[] filter) {
        trapFilters[trap] = filter.clone();
    }

    /**
     * Makes every thread of the process of {@code tid} trap the calls of the per-process filter
     * {@code trap} from its next syscall on, and the processes it creates after. A process that
     * opened a control file of a service traps its writes ({@link #TRAP_WRITES}), because the
     * service serves each write to that file; one that opened a file for writing on a mount that
     * syncs files traps its closes ({@link #TRAP_CLOSES}). Other processes keep those calls untrapped.
     *
     * <p>Precondition: runs on the tracer thread, while a handler serves a seccomp stop of {@code tid}.
     */
    public void trapCalls(int tid, int trap) {
        if (trapFilters[trap].length == 0) {
            throw new IllegalStateException("no filter is set for trap " + trap);
        }
        String[] threads = new java.io.File("/proc/" + tid + "/task").list();
        List<Integer> tids = new java.util.ArrayList<>(List.of(tid));
        if (threads != null) {
            for (String thread : threads) {
                tids.add(Integer.parseInt(thread));
            }
        }
        int bit = 1 << trap;
        for (int thread : tids) {
            Tracee tracee = tracees.get(thread);
            if (tracee == null || ((tracee.trapsInstalled | tracee.trapsPending) & bit) != 0) {
                continue;
            }
            tracee.trapsPending |= bit;
            if (thread != handlingTid && !tracee.listening) {
                try {
                    ptrace.interrupt(thread);
                } catch (NativeException e) {
                    LOG.debug("[{}] cannot interrupt to add trap {}: {}", thread, trap, e.getMessage());
                }
            }
        }
        LOG.debug("[{}] the process adds trap {} from now on", tid, trap);
    }

    private boolean needsWiderFilter(Tracee tracee) {
        return tracee.filterGeneration < widerFilters.size() - 1 || (tracee.trapsPending & ~tracee.trapsInstalled) != 0;
    }

    /** Resumes a thread; one that needs a wider filter stops at its next syscall entry. */
    private void resume(Tracee tracee, int signal) {
        if (tracee.pendingExit != null || (needsWiderFilter(tracee) && tracee.injection == null)) {
            ptrace.resumeToSyscallExit(tracee.tid(), signal);
        } else {
            ptrace.cont(tracee.tid(), signal);
        }
    }

    /**
     * Turns the syscall the thread is entering into seccomp(SECCOMP_SET_MODE_FILTER, 0, prog)
     * with the newest filter, which is a superset of the older ones. Precondition: the thread is
     * at a seccomp stop or a syscall-entry stop.
     */
    private void injectFilter(Tracee tracee) {
        int tid = tracee.tid();
        ptrace.syscallInfo(tid, injectionInfo);
        int generation = widerFilters.size() - 1;
        byte[] filter;
        if (tracee.filterGeneration < generation) {
            filter = widerFilters.get(generation);
        } else {
            int trap = Integer.numberOfTrailingZeros(tracee.trapsPending & ~tracee.trapsInstalled);
            generation = FilterInjection.ofTrap(trap);
            filter = trapFilters[trap];
        }

        // struct sock_filter[] and struct sock_fprog {unsigned short len; struct sock_filter *filter;}
        long filterAddress = (injectionInfo.stackPointer - arch.redZone() - filter.length) & ~15L;
        long programAddress = (filterAddress - 16) & ~15L;
        ByteBuffer program = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        program.putShort(0, (short) (filter.length / 8));
        program.putLong(8, filterAddress);
        if (libc.writeMemory(tid, filterAddress, filter, filter.length) != filter.length
                || libc.writeMemory(tid, programAddress, program.array(), 16) != 16) {
            LOG.warn("[{}] cannot write a seccomp filter below the stack pointer; the thread keeps its filter", tid);
            installed(tracee, generation);
            resume(tracee, 0);
            return;
        }

        tracee.injection = new FilterInjection(injectionInfo.nr, injectionInfo.args.clone(),
                injectionInfo.instructionPointer, generation);
        LOG.debug("[{}] runs seccomp() for filter generation {} in place of syscall {} (stop {})", tid, generation,
                injectionInfo.nr, injectionInfo.op);
        ptrace.pokeUser(tid, arch.syscallNumberOffset(), arch.seccompSyscall());
        ptrace.pokeUser(tid, arch.argumentOffset(0), SECCOMP_SET_MODE_FILTER);
        ptrace.pokeUser(tid, arch.argumentOffset(1), 0);
        ptrace.pokeUser(tid, arch.argumentOffset(2), programAddress);
        ptrace.resumeToSyscallExit(tid, 0);
    }

    /** At the exit of an injected seccomp(): restores the thread's own syscall and runs it again. */
    private void finishInjection(Tracee tracee) {
        int tid = tracee.tid();
        FilterInjection injection = tracee.injection;
        tracee.injection = null;
        ptrace.syscallInfo(tid, injectionInfo);
        if (injectionInfo.returnValue != 0) {
            LOG.warn("[{}] seccomp() of filter generation {} failed with {}; the thread keeps its filter",
                    tid, injection.generation(), injectionInfo.returnValue);
        }
        installed(tracee, injection.generation());
        LOG.debug("[{}] seccomp() returned {}; syscall {} runs again", tid, injectionInfo.returnValue, injection.nr());

        for (int i = 0; i < 6; i++) {
            ptrace.pokeUser(tid, arch.argumentOffset(i), injection.arguments()[i]);
        }
        ptrace.pokeUser(tid, arch.returnValueOffset(), injection.nr());
        ptrace.pokeUser(tid, arch.instructionPointerOffset(),
                injection.instructionPointer() - arch.syscallInstructionLength());
        resume(tracee, 0);
    }

    private static void installed(Tracee tracee, int generation) {
        if (generation < 0) {
            tracee.trapsInstalled |= 1 << FilterInjection.trapOf(generation);
        } else {
            tracee.filterGeneration = generation;
        }
    }

    private void onExit(int tid, int status) {
        tracees.remove(tid);
        liveThreads.remove(tid);
        handler.onProcessExit(tid);
        if (tid == programPid) {
            exitStatus = exited(status) ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            LOG.debug("[{}] program ended with status {}", tid, exitStatus);
        }
        if (exitStatus >= 0 && !tracees.isEmpty()) {
            handler.onProgramGone(new java.util.TreeSet<>(tracees.keySet()));
        }
    }

    private SyscallStop newStop() {
        return new SyscallStop(ptrace, libc, arch, stringBuffer);
    }

    private static boolean exited(int status) {
        return (status & 0x7f) == 0;
    }

    private static boolean signaled(int status) {
        return ((status & 0x7f) + 1) >> 1 > 0 && (status & 0xff) != 0x7f;
    }

    private static boolean stopped(int status) {
        return (status & 0xff) == 0x7f;
    }
}
