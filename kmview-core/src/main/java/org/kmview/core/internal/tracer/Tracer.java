package org.kmview.core.internal.tracer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.nativeaccess.NativeException;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.syscall.Arch;

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

    private static final Logger LOG = LogManager.getLogger(Tracer.class);

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
    /** Non-blocking waits before a blocking one; Integer.getInteger lets benchmarks compare. */
    private static final int SPIN_POLLS = Integer.getInteger("kmview.spinPolls", 200);

    private final Ptrace ptrace;
    private final Libc libc;
    private final Arch arch;
    private final SyscallHandler handler;
    private final Map<Integer, Tracee> tracees = new HashMap<>();
    private final byte[] stringBuffer = new byte[SyscallStop.PATH_MAX];
    private SyscallStop current;

    private volatile int programPid;
    private int exitStatus = -1;

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
     * @param keepFds the descriptors above 2 the program inherits, as a comma list
     * @param filter the seccomp-bpf program
     * @return the program's exit status, or 128+N if a signal N killed it
     */
    public int run(String execStub, List<String> program, List<String> environment, String keepFds,
                   SeccompFilter filter) {
        return run(execStub, List.of(), program, environment, keepFds, filter);
    }

    /**
     * Runs {@code rcFiles} in the view, in order, and then the program, as {@link #run(String,
     * List, List, String, SeccompFilter)} does. kmview-exec runs the rc files; one that fails
     * stops it before the program.
     */
    public int run(String execStub, List<String> rcFiles, List<String> program, List<String> environment,
                   String keepFds, SeccompFilter filter) {
        programPid = launch(execStub, rcFiles, program, environment, keepFds, filter);
        LOG.debug("[{}] started {}", programPid, program);
        loop();
        return exitStatus;
    }

    /** Returns the pid of the program, valid once {@link #run} started it. */
    public int programPid() {
        return programPid;
    }

    private int launch(String execStub, List<String> rcFiles, List<String> program, List<String> environment,
                       String keepFds, SeccompFilter filter) {
        int[] control = libc.pipe();
        int pid;
        try {
            List<String> argv = new java.util.ArrayList<>();
            argv.add("kmview-exec");
            argv.add(Integer.toString(control[0]));
            argv.add(keepFds.isEmpty() ? "-" : keepFds);
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
            try {
                handleStatus(tid, status[0]);
            } catch (NativeException e) {
                if (e.errno() != ESRCH) {
                    throw e;
                }
                // The thread was killed while stopped; its exit arrives as its own wait status.
                LOG.debug("[{}] vanished while stopped: {}", tid, e.getMessage());
            }
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
        int signal = (status >> 8) & 0xff;
        int event = (status >> 16) & 0xffff;

        if (signal == (SIGTRAP | 0x80)) {
            onSyscallExit(tracee);
        } else if (signal == SIGTRAP && event != 0) {
            onEvent(tracee, event);
        } else if (event == Ptrace.PTRACE_EVENT_STOP) {
            onEventStop(tracee, signal);
        } else {
            // A signal-delivery-stop: deliver the signal as the kernel would have.
            ptrace.cont(tid, signal);
        }
    }

    private void onEvent(Tracee tracee, int event) {
        int tid = tracee.tid();
        switch (event) {
            case Ptrace.PTRACE_EVENT_SECCOMP -> onSeccomp(tracee);
            case Ptrace.PTRACE_EVENT_FORK, Ptrace.PTRACE_EVENT_VFORK, Ptrace.PTRACE_EVENT_CLONE -> {
                int child = (int) ptrace.eventMessage(tid);
                tracees.computeIfAbsent(child, Tracee::new);
                LOG.trace("[{}] new thread or process {}", tid, child);
                ptrace.cont(tid, 0);
            }
            case Ptrace.PTRACE_EVENT_EXEC -> {
                int formerTid = (int) ptrace.eventMessage(tid);
                if (formerTid != tid) {
                    // A non-leader thread exec'd: it now has the leader's id and the old id is gone.
                    Tracee former = tracees.remove(formerTid);
                    if (former != null && former.pendingExit != null) {
                        tracee.pendingExit = former.pendingExit;
                    }
                    handler.onProcessExit(formerTid);
                }
                if (tracee.pendingExit != null) {
                    tracee.execedDuringSyscall = true;
                }
                tracee.setTgid(tid);
                ptrace.cont(tid, 0);
            }
            default -> ptrace.cont(tid, 0);
        }
    }

    private void onEventStop(Tracee tracee, int signal) {
        if (signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU) {
            // Group-stop: stay stopped, as outside, until SIGCONT arrives.
            ptrace.listen(tracee.tid());
            if (signal != SIGSTOP && tracee.tid() == programPid && libc.getpgid(programPid) == libc.getpgid(0)) {
                // The terminal stopped the job kmview belongs to (Ctrl-Z). kmview stops too, so the
                // shell reports its job stopped, and the shell's SIGCONT reaches kmview and the program alike.
                LOG.debug("[{}] stopped by signal {}; stopping kmview", programPid, signal);
                libc.kill(libc.getpid(), SIGSTOP);
            }
        } else {
            // The first stop of a newly attached thread, or the end of a group-stop.
            ptrace.cont(tracee.tid(), 0);
        }
    }

    private void onSeccomp(Tracee tracee) {
        SyscallStop stop = current;
        stop.reset(tracee);
        handler.onEntry(stop);
        if (stop.needsExitStop()) {
            tracee.pendingExit = stop;
            tracee.execedDuringSyscall = false;
            current = newStop();
            ptrace.resumeToSyscallExit(tracee.tid(), 0);
        } else {
            ptrace.cont(tracee.tid(), 0);
        }
    }

    private void onSyscallExit(Tracee tracee) {
        SyscallStop stop = tracee.pendingExit;
        tracee.pendingExit = null;
        if (stop != null) {
            stop.finishAtExit(tracee, tracee.execedDuringSyscall);
        }
        ptrace.cont(tracee.tid(), 0);
    }

    private void onExit(int tid, int status) {
        tracees.remove(tid);
        handler.onProcessExit(tid);
        if (tid == programPid) {
            exitStatus = exited(status) ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            LOG.debug("[{}] program ended with status {}", tid, exitStatus);
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
