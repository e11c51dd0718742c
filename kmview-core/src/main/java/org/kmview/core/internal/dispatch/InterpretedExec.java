package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.kmview.core.Log;
import org.kmview.core.internal.syscall.Arch;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.Interpreter;
import org.kmview.spi.ServiceException;

/**
 * Runs an executable the kernel cannot run itself through the interpreter a mount names for it,
 * as binfmt_misc does: the process execs the interpreter with {@code interpreter filename
 * args...} ({@code interpreter filename argv0 args...} with P), and with O the interpreter finds
 * an open descriptor of the executable in {@code AT_EXECFD}.
 *
 * <p>For O the process opens the executable itself, so the descriptor is its own: its execve runs
 * as openat first, and at the exit of that openat it runs again as execve of the interpreter. The
 * second entry is recognised by the pending record this class keeps per thread.
 */
final class InterpretedExec {

    private static final Log LOG = Log.of(InterpretedExec.class);

    private static final long AT_FDCWD = -100;
    private static final long O_RDONLY = 0;
    private static final int EM_386 = 3;
    private static final int EM_X86_64 = 62;

    private final Arch arch;
    private final MountTable mounts;
    private final PathResolver resolver;
    /** Threads whose execve kmview restarted as the interpreter's, by thread id. */
    private final Map<Integer, Pending> pending = new HashMap<>();

    /**
     * An execve of an interpreter that kmview restarted after opening the executable.
     *
     * @param arguments the arguments the process passed to its own call, restored if exec fails
     * @param execFd the descriptor of the executable in the process
     * @param preserveArgv0 the interpreter's P flag
     */
    private record Pending(long[] arguments, long execFd, boolean preserveArgv0) {
    }

    InterpretedExec(Arch arch, MountTable mounts, PathResolver resolver) {
        this.arch = arch;
        this.mounts = mounts;
        this.resolver = resolver;
    }

    /** Forgets a thread that ended. */
    void forget(int tid) {
        pending.remove(tid);
    }

    /**
     * At the entry of an execve that kmview restarted as the interpreter's: arranges AT_EXECFD
     * and returns true. Returns false for any other execve.
     */
    boolean continueRestarted(SyscallStop stop) {
        Pending restarted = pending.remove(stop.tracee().tid());
        if (restarted == null) {
            return false;
        }
        stop.atExec(exec -> editAuxiliaryVector(exec, restarted.preserveArgv0(), restarted.execFd()));
        stop.atExit(exit -> {
            // NOTE: the descriptor of the executable stays open in the process when the
            // interpreter's exec fails; binfmt_misc would close it.
            exit.resetArguments(restarted.arguments());
        });
        return true;
    }

    /**
     * Returns whether the kernel runs a file with this header itself: an ELF binary of the host's
     * machine or a #! script. Only other files go to the mounts' interpreters, as in the kernel,
     * where binfmt_elf and binfmt_script come before binfmt_misc.
     */
    static boolean kernelRuns(byte[] header, int length) {
        if (length >= 2 && header[0] == '#' && header[1] == '!') {
            return true;
        }
        if (length >= 20 && header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' && header[3] == 'F') {
            int machine = ByteBuffer.wrap(header, 18, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            return machine == EM_X86_64 || machine == EM_386;
        }
        return false;
    }

    /**
     * Runs {@code executable} through the interpreter of the first mount that claims it.
     *
     * @param argv the argument list the kernel would pass on to a binary format, as pointers
     *        into the process: the process's own argv, or the one binfmt_script built for a
     *        script whose interpreter the kernel cannot run
     * @param envpAddress the envp argument
     * @return false if no mount claims the file, so the kernel runs the call as it is
     */
    boolean run(SyscallStop stop, Syscall syscall, int tid, int tgid, Executable executable, List<Long> argv,
                long envpAddress) {
        Interpreter interpreter = null;
        List<MountTable.Entry> entries = mounts.entries();
        for (int i = entries.size() - 1; i >= 0 && interpreter == null; i--) {
            MountTable.Entry entry = entries.get(i);
            try {
                interpreter = entry.mount().interpreterFor(executable).orElse(null);
            } catch (ServiceException e) {
                LOG.debug("[{}] exec of {} refused by the mount on {}: {}", tid, executable.viewPath(),
                        entry.mountPoint(), e.getMessage());
                stop.fail(e.errno().number());
                return true;
            } catch (RuntimeException e) {
                LOG.error("[{}] service {} failed to look up an interpreter for {}; the mount is skipped", tid,
                        entry.service(), executable.viewPath(), e);
            }
        }
        if (interpreter == null) {
            return false;
        }

        // As the kernel, which checks the executable before it looks for a binary format.
        Path file = Path.of(executable.hostPath());
        if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
            stop.fail(Errno.EACCES.number());
            return true;
        }
        String interpreterHost = interpreter.path();
        if (!interpreter.hostPath()) {
            PathResolver.Resolution resolution = resolver.resolve(tid, tgid, PathResolver.AT_FDCWD,
                    interpreter.path(), true);
            if (resolution.error() != null) {
                LOG.debug("[{}] interpreter {} of {}: {}", tid, interpreter.path(), executable.viewPath(),
                        resolution.error());
                stop.fail(resolution.error().number());
                return true;
            }
            interpreterHost = resolution.hostPath();
        }

        List<Long> newArgv = new java.util.ArrayList<>();
        newArgv.add(stop.pushString(interpreter.path()));
        newArgv.add(stop.pushString(executable.filename()));
        newArgv.addAll(interpreter.preserveArgv0() ? argv : argv.subList(Math.min(1, argv.size()), argv.size()));
        ByteBuffer array = ByteBuffer.allocate(8 * (newArgv.size() + 1)).order(ByteOrder.nativeOrder());
        newArgv.forEach(array::putLong);
        long arrayAddress = stop.pushToStack(array.array());
        long interpreterAddress = stop.pushString(interpreterHost);
        long binaryAddress = interpreter.openBinary() ? stop.pushString(executable.hostPath()) : 1;
        if (arrayAddress == 0 || interpreterAddress == 0 || binaryAddress == 0 || newArgv.contains(0L)) {
            stop.fail(Errno.EFAULT.number());
            return true;
        }
        int execve = arch.number(Syscall.EXECVE).orElseThrow();
        LOG.debug("[{}] {} runs through {} ({})", tid, executable.viewPath(), interpreterHost, interpreter);

        if (!interpreter.openBinary()) {
            if (syscall == Syscall.EXECVEAT) {
                stop.replaceSyscall(execve, interpreterAddress, arrayAddress, envpAddress);
                long[] original = stop.arguments();
                stop.atExit(exit -> exit.resetArguments(original));
            } else {
                stop.setArgument(0, interpreterAddress);
                stop.setArgument(1, arrayAddress);
            }
            if (interpreter.preserveArgv0()) {
                stop.atExec(exec -> editAuxiliaryVector(exec, true, -1));
            }
            return true;
        }

        long[] original = stop.arguments();
        boolean preserveArgv0 = interpreter.preserveArgv0();
        int openat = arch.number(Syscall.OPENAT).orElseThrow();
        stop.replaceSyscall(openat, AT_FDCWD, binaryAddress, O_RDONLY, 0);
        stop.atExit(exit -> {
            long fd = exit.returnValue();
            if (fd < 0) {
                // The process cannot open the executable: its execve fails as the kernel's would.
                exit.resetArguments(original);
                return;
            }
            pending.put(exit.tracee().tid(), new Pending(original, fd, preserveArgv0));
            exit.restartAs(execve, interpreterAddress, arrayAddress, envpAddress);
        });
        return true;
    }

    private static void editAuxiliaryVector(SyscallStop exec, boolean preserveArgv0, long execFd) {
        if (!AuxiliaryVector.edit(exec, preserveArgv0, execFd)) {
            LOG.warn("[{}] cannot edit the auxiliary vector of the interpreter; it runs without {}",
                    exec.tracee().tid(), execFd >= 0 ? "AT_EXECFD" : "AT_FLAGS_PRESERVE_ARGV0");
        }
    }
}
