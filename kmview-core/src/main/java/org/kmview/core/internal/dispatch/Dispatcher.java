package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;

import org.kmview.core.Log;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.syscall.Arch;
import org.kmview.core.internal.syscall.PathArg;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SyscallHandler;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * Serves trapped syscalls: management calls, mount and umount of service file systems, and the
 * translation of every path argument through the mount table. Translate, don't emulate: the
 * kernel runs each call on the host path, and only arguments and results are rewritten.
 *
 * <p>Owned by the tracer thread.
 */
public final class Dispatcher implements SyscallHandler {

    private static final Log LOG = Log.of(Dispatcher.class);

    private static final int AF_UNIX = 1;
    private static final int SUN_PATH_OFFSET = 2;
    private static final int SUN_PATH_MAX = 108;
    private static final int OPEN_HOW_SIZE = 24;
    /** umount2's MNT_DETACH flag: a lazy unmount, even while the mount is in use. */
    private static final long MNT_DETACH = 2;
    /** Maximum length of an argument list kmview rewrites for a script; longer ones run untranslated. */
    private static final int MAX_ARGUMENTS = 1 << 16;
    private static final long RESOLVE_NO_XDEV = 0x01;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_BENEATH = 0x08;
    private static final long RESOLVE_IN_ROOT = 0x10;
    private static final long O_ACCMODE = 3;
    private static final long O_RDONLY = 0;
    private static final long O_TRUNC = 01000;
    private static final long O_CREAT = 0100;
    private static final long AT_REMOVEDIR = 0x200;
    private static final long RENAME_EXCHANGE = 2;
    /** Maximum bytes one write to a control file hands its service; the write returns the count it took. */
    private static final int MAX_CONTROL_WRITE = 1 << 18;
    private static final long IOV_MAX = 1024;
    private static final short POLLERR = 0x008;
    /** Calls that read only a path's metadata or name. */
    private static final java.util.Set<Syscall> METADATA_ONLY = java.util.EnumSet.of(Syscall.STAT, Syscall.LSTAT,
            Syscall.NEWFSTATAT, Syscall.STATX, Syscall.ACCESS, Syscall.FACCESSAT, Syscall.FACCESSAT2,
            Syscall.READLINK, Syscall.READLINKAT, Syscall.GETXATTR, Syscall.LGETXATTR, Syscall.LISTXATTR,
            Syscall.LLISTXATTR, Syscall.GETXATTRAT, Syscall.LISTXATTRAT, Syscall.STATFS);

    private final Arch arch;
    private final Libc libc;
    private final MountTable mounts;
    private final PathResolver resolver;
    private final FileSystems fileSystems;
    private final int kmviewPid;
    private final ViewIdentity identity;
    private final boolean nesting;
    private ServiceManager services;
    private final Map<Integer, Integer> tgids = new HashMap<>();
    private final InterpretedExec interpreted;
    /** The view's own credentials and file owners with {@code kmview -s}, or null. */
    private SecureMode secure;
    private IntConsumer trapWrites = tid -> {
        throw new IllegalStateException("no tracer traps writes for control files");
    };
    private IntConsumer trapCloses = tid -> {
        throw new IllegalStateException("no tracer traps closes for mounts that sync files");
    };
    private IntConsumer trapSocketNames = tid -> {
        throw new IllegalStateException("no tracer traps the calls that return socket names");
    };

    /** Creates a dispatcher for a view whose file system types are {@code fileSystems}. */
    public Dispatcher(Arch arch, Libc libc, MountTable mounts, FileSystems fileSystems, int kmviewPid) {
        this(arch, libc, mounts, fileSystems, new ViewIdentity(kmviewPid, ""), true);
    }

    /**
     * Creates a dispatcher for a view with the identity {@code identity}.
     *
     * @param nesting whether services see mount sources through the view (the default) or, when
     *        false ({@code kmview -x}), on the host file system
     */
    public Dispatcher(Arch arch, Libc libc, MountTable mounts, FileSystems fileSystems, ViewIdentity identity,
                      boolean nesting) {
        this.arch = arch;
        this.libc = libc;
        this.mounts = mounts;
        this.resolver = new PathResolver(libc, mounts);
        this.fileSystems = fileSystems;
        this.identity = identity;
        this.kmviewPid = identity.serverId();
        this.nesting = nesting;
        this.interpreted = new InterpretedExec(arch, mounts, resolver);
    }

    /**
     * Sets what makes a process trap the calls that return socket addresses. It is called with
     * the thread id of a process that binds or connects an AF_UNIX socket by a translated path.
     */
    public void trapSocketNamesWith(IntConsumer trapper) {
        this.trapSocketNames = trapper;
    }

    /**
     * Sets what makes a process trap its writes, called with the thread id of a process that
     * opens a control file for writing.
     */
    public void trapWritesWith(IntConsumer trapper) {
        this.trapWrites = trapper;
    }

    /**
     * Sets what makes a process trap its closes and syncs, called with the thread id of a process
     * that opens a file for writing on a mount that syncs files.
     */
    public void trapClosesWith(IntConsumer trapper) {
        this.trapCloses = trapper;
    }

    @Override
    public void onEntry(SyscallStop stop) {
        try {
            serve(stop);
        } catch (org.kmview.core.internal.nativeaccess.NativeException e) {
            // The tracer handles a thread that vanished (ESRCH) and fails on anything else.
            throw e;
        } catch (RuntimeException e) {
            // A fault of kmview's own must cost the call, not the whole view.
            LOG.error("[{}] failed to serve syscall {}; it fails with EIO", stop.tracee().tid(), stop.nr(), e);
            stop.fail(Errno.EIO.number());
        }
    }

    /** Turns on secure mode: the view's processes get their own ids, starting as root of the view. */
    public void enableSecureMode() {
        secure = new SecureMode(libc);
    }

    private void serve(SyscallStop stop) {
        int nr = (int) stop.nr();
        if (ManagementCall.isReserved(nr)) {
            onManagementCall(stop, nr);
            return;
        }
        Syscall syscall = arch.syscall(nr);
        if (syscall == null) {
            return;
        }
        if (secure != null && !secure.permits(stop, syscall, this::hostPathOfFirstPath)) {
            // Checked before dispatch, so no mount copies the file up or passes the change on first.
            stop.fail(Errno.EPERM.number());
            return;
        }
        dispatch(stop, syscall);
        if (secure != null && !stop.isSkipped()) {
            Syscall run = arch.syscall((int) stop.kernelNr());
            secure.afterDispatch(stop, syscall, run != null ? run : syscall, statBufferIndex(syscall));
            if ((syscall == Syscall.ACCESS || syscall == Syscall.FACCESSAT || syscall == Syscall.FACCESSAT2)
                    && secure.asksWrite(stop, syscall)) {
                secure.arrangeAccess(stop, syscall, copiesUp(stop, syscall));
            }
        }
    }

    /**
     * Returns the host path that the first path argument of {@code syscall} reaches in the view,
     * with no change to any mount, or null if it cannot be resolved.
     */
    private String hostPathOfFirstPath(SyscallStop stop, Syscall syscall) {
        if (syscall.paths().isEmpty()) {
            return null;
        }
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Resolution resolution = resolveArgument(stop, pathArg, pathArg.followsLast(stop.arguments()));
        return resolution == null || resolution.error() != null ? null : resolution.hostPath();
    }

    /** Returns whether the path argument of {@code syscall} lies below a mount that copies files up before a change. */
    private boolean copiesUp(SyscallStop stop, Syscall syscall) {
        if (!mounts.hasChangeTrackers()) {
            return false;
        }
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Resolution resolution = resolveArgument(stop, pathArg, pathArg.followsLast(stop.arguments()));
        return resolution != null && resolution.error() == null && resolution.viewPath() != null
                && mounts.changeTracker(resolution.viewPath()).isPresent();
    }

    private void dispatch(SyscallStop stop, Syscall syscall) {
        switch (syscall.kind()) {
            case PATH -> translatePaths(stop, syscall);
            case EXEC -> translateExec(stop, syscall);
            case OPENAT2 -> translateOpenat2(stop, syscall);
            case READLINK -> readlink(stop, syscall);
            case MOUNT -> mount(stop, syscall);
            case UMOUNT -> umount(stop, syscall);
            case SOCKADDR -> translateSocketAddress(stop, syscall);
            case SOCKET_NAME -> showSocketNameInView(stop);
            case GETCWD -> getcwd(stop);
            case DIRENTS -> filterDirectoryEntries(stop, syscall);
            case REFUSE -> rejectBypass(stop, syscall);
            case WRITE -> writeToControlFile(stop, syscall);
            case CONTROL_READ -> {
                if (syscall == Syscall.POLL || syscall == Syscall.PPOLL) {
                    pollControlFile(stop);
                } else {
                    readFromControlFile(stop);
                }
            }
            case SYNC, SYNC_ALL -> sync(stop, syscall);
            case DESCRIPTOR_CHANGE -> changeThroughDescriptor(stop, syscall);
            case CREDENTIALS -> {
                if (secure != null) {
                    secure.serve(stop, syscall);
                }
            }
            case NONE -> {
            }
        }
    }

    @Override
    public void onNewThread(int parent, int child) {
        if (secure != null) {
            secure.inherit(parent, child);
        }
    }

    @Override
    public void onProcessExit(int tid) {
        tgids.remove(tid);
        interpreted.forget(tid);
        if (secure != null) {
            secure.forget(tid);
        }
    }

    /**
     * Unmounts, newest first, the mounts whose serving processes (FUSE daemons) are all that is
     * left of the view once the program ended, as a machine unmounts its file systems when it
     * shuts down. Their daemons then end, and so does the view.
     */
    @Override
    public void onProgramGone(java.util.Set<Integer> threads) {
        java.util.Set<Integer> processes = new java.util.HashSet<>();
        for (int thread : threads) {
            processes.add(tgid(thread));
        }
        List<MountTable.Entry> served = new java.util.ArrayList<>();
        java.util.Set<Integer> servers = new java.util.HashSet<>();
        for (MountTable.Entry entry : mounts.entries()) {
            java.util.Set<Integer> serving;
            try {
                serving = entry.mount().servingProcesses();
            } catch (RuntimeException e) {
                LOG.error("service {} failed to name the processes serving {}", entry.service(), entry.mountPoint(), e);
                continue;
            }
            if (!serving.isEmpty()) {
                served.add(entry);
                servers.addAll(serving);
            }
        }
        if (served.isEmpty() || !servers.containsAll(processes)) {
            return;
        }
        for (int i = served.size() - 1; i >= 0; i--) {
            MountTable.Entry entry = served.get(i);
            LOG.debug("the program ended and only the processes serving {} are left; unmounting it", entry.mountPoint());
            mounts.remove(entry.mountPoint()).ifPresent(Dispatcher::unmount);
        }
    }

    private void onManagementCall(SyscallStop stop, int nr) {
        switch (nr) {
            case ManagementCall.PING -> stop.skip(kmviewPid);
            case ManagementCall.VIEWID -> stop.skip(identity.viewId());
            case ManagementCall.GET_VIEWNAME -> answerWithString(stop, stop.argument(0), stop.argument(1),
                    identity.name(), true);
            case ManagementCall.SET_VIEWNAME -> setViewName(stop);
            case ManagementCall.ADD_SERVICE, ManagementCall.DEL_SERVICE, ManagementCall.LIST_SERVICES,
                 ManagementCall.MOV_SERVICE -> manageServices(stop, nr);
            default -> stop.fail(Errno.ENOSYS.number());
        }
    }

    /** Sets what serves um_add_service, um_del_service, um_ls_service and um_mov_service. */
    public void manageServicesWith(ServiceManager manager) {
        this.services = manager;
    }

    private void manageServices(SyscallStop stop, int nr) {
        if (services == null) {
            stop.fail(Errno.ENOSYS.number());
            return;
        }
        if (nr == ManagementCall.LIST_SERVICES) {
            String text = String.join("", services.list().stream().map(line -> line + "\n").toList());
            answerWithString(stop, stop.argument(0), stop.argument(1), text, true);
            return;
        }
        String argument = stop.readString(stop.argument(0));
        if (argument == null) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        Errno error = switch (nr) {
            case ManagementCall.ADD_SERVICE -> services.add(servicePathInView(stop, argument),
                    (stop.argument(1) & ManagementCall.ADD_PERMANENT) != 0);
            case ManagementCall.DEL_SERVICE -> services.remove(argument);
            default -> services.move(argument, (int) stop.argument(1));
        };
        if (error == null) {
            stop.skip(0);
        } else {
            stop.fail(error.number());
        }
    }

    /**
     * Returns {@code spec} with a service path replaced by its host path: the caller names the
     * path as the view shows it, relative to its own working directory (on the host with -x).
     */
    private String servicePathInView(SyscallStop stop, String spec) {
        int comma = spec.indexOf(',');
        String location = comma < 0 ? spec : spec.substring(0, comma);
        if (!location.contains("/") && !location.endsWith(".jar")) {
            return spec;
        }
        int tid = stop.tracee().tid();
        String hostPath;
        if (nesting) {
            PathResolver.Resolution resolution = resolver.resolve(tid, tgid(tid), PathResolver.AT_FDCWD, location, true);
            if (resolution.error() != null) {
                return spec;
            }
            hostPath = resolution.hostPath();
        } else {
            String hostCwd = libc.readlink("/proc/" + tid + "/cwd");
            hostPath = location.startsWith("/") || hostCwd == null ? location : MountTable.join(hostCwd, location);
        }
        return comma < 0 ? hostPath : hostPath + spec.substring(comma);
    }

    private void setViewName(SyscallStop stop) {
        String name = stop.readString(stop.argument(0));
        if (name == null) {
            stop.fail(Errno.EFAULT.number());
        } else if (name.length() > ViewIdentity.MAX_NAME) {
            stop.fail(Errno.ENAMETOOLONG.number());
        } else {
            identity.setName(name);
            LOG.debug("[{}] view name set to \"{}\"", stop.tracee().tid(), name);
            stop.skip(0);
        }
    }

    private void translatePaths(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        if (syscall == Syscall.UTIMENSAT && stop.argument(1) == 0) {
            // futimens: utimensat of the descriptor itself.
            changeThroughDescriptor(stop, syscall);
            return;
        }
        long[] arguments = stop.arguments();
        // Only a mount that forwards changes needs the resolutions after the loop.
        List<PathResolver.Resolution> resolutions = mounts.hasForwardingMounts() ? new java.util.ArrayList<>(2) : null;
        for (PathArg pathArg : syscall.paths()) {
            PathResolver.Resolution resolution = resolveArgument(stop, pathArg, pathArg.followsLast(arguments));
            if (resolution == null) {
                continue;
            }
            if (resolutions != null) {
                resolutions.add(resolution);
            }
            if (changesFiles(stop, syscall, resolution) && resolution.error() == null && resolution.viewPath() != null
                    && mounts.readOnly(resolution.viewPath())) {
                stop.fail(Errno.EROFS.number());
                return;
            }
            if (resolution.error() == null && resolution.viewPath() != null && changesFiles(stop, syscall, resolution)
                    && !prepareChange(stop, syscall, pathArg, resolution)) {
                return;
            }
            if (removesName(syscall) && resolution.error() == null && resolution.viewPath() != null
                    && mounts.controlAt(resolution.viewPath()).isPresent()) {
                // As in binfmt_misc: a control file goes away by a command written to it, not by unlink or rename.
                stop.fail(Errno.EPERM.number());
                return;
            }
            if (!apply(stop, pathArg, resolution)) {
                return;
            }
            if (opensForWriting(stop, syscall)) {
                int flagsIndex = switch (syscall) {
                    case OPEN -> 1;
                    case OPENAT -> 2;
                    default -> -1;
                };
                noteControlFileOpen(stop, resolution, flagsIndex);
            }
            if (opensForWriting(stop, syscall) && resolution.error() == null
                    && resolution.viewPath() != null && mounts.syncingOwner(resolution.viewPath()).isPresent()) {
                trapCloses.accept(stop.tracee().tid());
            }
            if (syscall == Syscall.STATFS && resolution.error() == null && resolution.viewPath() != null) {
                reportFileSystemStats(stop, resolution.viewPath());
            }
            int statBuffer = statBufferIndex(syscall);
            if (statBuffer >= 0 && resolution.error() == null && mounts.hasStatViews()) {
                String viewPath = resolution.viewPath() != null ? resolution.viewPath()
                        : viewPathOfDescriptor(stop, syscall, pathArg, resolution);
                if (viewPath != null) {
                    StatResults.patchAtExit(stop, mounts, viewPath, syscall == Syscall.STATX, stop.argument(statBuffer));
                }
            }
        }
        if (resolutions != null && resolutions.size() == syscall.paths().size()) {
            forwardOperation(stop, syscall, arguments, resolutions);
        }
    }

    /**
     * Lets a mount that forwards changes (a FUSE daemon's) make a change by path first: if its
     * source refuses, the call fails with that errno and the kernel does nothing. A rename or
     * link between such a mount and another place fails with EXDEV, as between file systems.
     */
    private void forwardOperation(SyscallStop stop, Syscall syscall, long[] arguments,
                                  List<PathResolver.Resolution> resolutions) {
        PathResolver.Resolution first = resolutions.get(0);
        if (first.error() != null || first.viewPath() == null) {
            return;
        }
        Optional<MountTable.Entry> owner = mounts.forwardingOwner(first.viewPath());
        String target = null;
        if (resolutions.size() == 2) {
            PathResolver.Resolution second = resolutions.get(1);
            if (second.error() != null || second.viewPath() == null) {
                return;
            }
            Optional<MountTable.Entry> other = mounts.forwardingOwner(second.viewPath());
            if (owner.isEmpty() && other.isEmpty()) {
                return;
            }
            if (owner.isEmpty() || other.isEmpty() || owner.get() != other.get()) {
                stop.fail(Errno.EXDEV.number());
                return;
            }
            target = MountTable.relative(owner.get().mountPoint(), second.viewPath());
        }
        boolean checksAccess = syscall == Syscall.ACCESS || syscall == Syscall.FACCESSAT || syscall == Syscall.FACCESSAT2;
        if (owner.isEmpty() || !(checksAccess || changesFiles(stop, syscall, first))) {
            return;
        }
        MountTable.Entry entry = owner.get();
        String relative = MountTable.relative(entry.mountPoint(), first.viewPath());
        org.kmview.spi.Operation operation = OperationDecoder.decode(stop, syscall, arguments, relative, target,
                first.hostPath() != null && libc.lstatMode(first.hostPath()) >= 0, umaskOf(stop.tracee().tid()));
        if (operation == null) {
            return;
        }
        int tid = stop.tracee().tid();
        try {
            if (entry.mount().forward(operation)) {
                stop.skip(0);
                return;
            }
        } catch (ServiceException e) {
            LOG.debug("[{}] {} refused by the mount on {}: {}", tid, operation, entry.mountPoint(), e.getMessage());
            stop.fail(e.errno().number());
            return;
        } catch (RuntimeException e) {
            LOG.error("[{}] service {} failed to forward {}", tid, entry.service(), operation, e);
            stop.fail(Errno.EIO.number());
            return;
        }
        stop.atExit(exit -> entry.mount().forwarded(operation, exit.returnValue() >= 0));
    }

    /** Returns the umask of a thread's process, from /proc, or 022 if it cannot be read. */
    private static int umaskOf(int tid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + tid + "/status"))) {
                if (line.startsWith("Umask:")) {
                    return Integer.parseInt(line.substring(6).trim(), 8);
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            LOG.debug("[{}] cannot read the umask: {}", tid, e.getMessage());
        }
        return 022;
    }

    /**
     * Replaces the sizes and counts of a successful statfs with those the mount that shows
     * {@code viewPath} reports, if it reports any. f_fsid and f_flags stay the host's.
     */
    private void reportFileSystemStats(SyscallStop stop, String viewPath) {
        Optional<MountTable.Entry> owner = mounts.showing(viewPath);
        if (owner.isEmpty()) {
            return;
        }
        Optional<org.kmview.spi.FileSystemStats> reported;
        try {
            reported = owner.get().mount().fileSystemStats();
        } catch (RuntimeException e) {
            LOG.error("[{}] service {} failed to report statfs of {}", stop.tracee().tid(), owner.get().service(),
                    viewPath, e);
            return;
        }
        if (reported.isEmpty()) {
            return;
        }
        org.kmview.spi.FileSystemStats stats = reported.get();
        long buffer = stop.argument(1);
        stop.atExit(exit -> {
            if (exit.returnValue() != 0) {
                return;
            }
            // struct statfs on x86_64: seven longs, f_fsid, then f_namelen and f_frsize.
            ByteBuffer head = ByteBuffer.allocate(56).order(ByteOrder.nativeOrder());
            head.putLong(stats.type()).putLong(stats.blockSize()).putLong(stats.blocks()).putLong(stats.freeBlocks())
                    .putLong(stats.availableBlocks()).putLong(stats.files()).putLong(stats.freeFiles());
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            tail.putLong(stats.nameMax()).putLong(stats.fragmentSize());
            exit.write(buffer, head.array());
            exit.write(buffer + 64, tail.array());
        });
    }

    /**
     * Returns the view path of the descriptor that newfstatat or statx with an empty path and
     * AT_EMPTY_PATH stat: glibc's fstat is such a call. Returns null for any other call.
     *
     * @param resolution the resolution of the call's path, whose host path is empty exactly when
     *        the path is, so the path is not read from the tracee again
     */
    private String viewPathOfDescriptor(SyscallStop stop, Syscall syscall, PathArg pathArg,
                                        PathResolver.Resolution resolution) {
        int flagsIndex = syscall == Syscall.STATX ? 2 : 3;
        if (pathArg.dirfd() < 0 || (stop.argument(flagsIndex) & Syscall.Flags.AT_EMPTY_PATH) == 0
                || resolution.hostPath() == null || !resolution.hostPath().isEmpty()) {
            return null;
        }
        String hostPath = libc.readlink("/proc/" + stop.tracee().tid() + "/fd/" + (int) stop.argument(pathArg.dirfd()));
        if (hostPath == null || !hostPath.startsWith("/")) {
            return null;
        }
        MountTable.ViewName view = mounts.toView(hostPath);
        return view.viaMount() ? view.viewPath() : null;
    }

    /** Returns the argument that points at the stat buffer of a stat call, or -1 for other calls. */
    private static int statBufferIndex(Syscall syscall) {
        return switch (syscall) {
            case STAT, LSTAT, FSTAT -> 1;
            case NEWFSTATAT -> 2;
            case STATX -> 4;
            default -> -1;
        };
    }

    /**
     * Returns whether the call changes the file or directory its path names, or creates or
     * removes a name, as the kernel's read-only mounts refuse with EROFS.
     */
    private boolean changesFiles(SyscallStop stop, Syscall syscall, PathResolver.Resolution resolution) {
        return switch (syscall) {
            case OPEN, OPENAT -> {
                long flags = stop.argument(syscall == Syscall.OPEN ? 1 : 2);
                if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0) {
                    yield true;
                }
                // O_CREAT of a file that exists opens it for reading and changes nothing.
                yield (flags & O_CREAT) != 0 && (resolution.hostPath() == null || libc.lstatMode(resolution.hostPath()) < 0);
            }
            case CREAT, MKDIR, MKDIRAT, RMDIR, UNLINK, UNLINKAT, RENAME, RENAMEAT, RENAMEAT2, LINK, LINKAT,
                 SYMLINK, SYMLINKAT, CHMOD, FCHMODAT, FCHMODAT2, CHOWN, LCHOWN, FCHOWNAT, TRUNCATE, UTIME, UTIMES,
                 FUTIMESAT, UTIMENSAT, MKNOD, MKNODAT, SETXATTR, LSETXATTR, REMOVEXATTR, LREMOVEXATTR, SETXATTRAT,
                 REMOVEXATTRAT, FILE_SETATTR -> true;
            default -> false;
        };
    }

    /**
     * Lets a mount that tracks changes (viewfs cow) prepare the path of a changing call: copy the
     * entry up, or remove it itself as a whiteout. Points the resolution at the host path the call
     * is to work on. Returns false if the call was finished here (skipped with 0 or an errno).
     */
    private boolean prepareChange(SyscallStop stop, Syscall syscall, PathArg pathArg,
                                  PathResolver.Resolution resolution) {
        String viewPath = resolution.viewPath();
        Optional<MountTable.Entry> tracker = mounts.changeTracker(viewPath);
        if (tracker.isEmpty()) {
            return true;
        }
        MountTable.Entry entry = tracker.get();
        String relative = MountTable.relative(entry.mountPoint(), viewPath);
        org.kmview.spi.LowerLayer lower = lowerLayer(entry);
        org.kmview.spi.Change change = switch (syscall) {
            case UNLINK -> org.kmview.spi.Change.REMOVE_FILE;
            case RMDIR -> org.kmview.spi.Change.REMOVE_DIRECTORY;
            case UNLINKAT -> (stop.argument(2) & AT_REMOVEDIR) != 0 ? org.kmview.spi.Change.REMOVE_DIRECTORY
                    : org.kmview.spi.Change.REMOVE_FILE;
            case RENAME, RENAMEAT, RENAMEAT2 -> pathArg == syscall.paths().get(0)
                    && !(syscall == Syscall.RENAMEAT2 && (stop.argument(4) & RENAME_EXCHANGE) != 0)
                    ? org.kmview.spi.Change.MOVE : org.kmview.spi.Change.WRITE;
            default -> org.kmview.spi.Change.WRITE;
        };
        int tid = stop.tracee().tid();
        Optional<PathMapping> prepared;
        try {
            prepared = entry.mount().prepareChange(relative, change, lower);
        } catch (ServiceException e) {
            LOG.debug("[{}] {} of {} refused by the mount on {}: {}", tid, syscall, viewPath, entry.mountPoint(),
                    e.getMessage());
            stop.fail(e.errno().number());
            return false;
        } catch (RuntimeException e) {
            LOG.error("[{}] service {} failed to prepare {} for {}", tid, entry.service(), viewPath, syscall, e);
            stop.fail(Errno.EIO.number());
            return false;
        }
        if (prepared.isEmpty()) {
            LOG.trace("[{}] {} of {} done by the mount on {}", tid, syscall, viewPath, entry.mountPoint());
            stop.skip(0);
            return false;
        }
        String hostPath = prepared.get() instanceof PathMapping.Host host ? host.path()
                : prepared.get() instanceof PathMapping.Below ? mounts.mapPast(viewPath, entry) : null;
        if (hostPath == null) {
            stop.fail(Errno.ENOENT.number());
            return false;
        }
        resolution.hostPath = hostPath;
        resolution.translated = true;
        if (change == org.kmview.spi.Change.MOVE) {
            stop.atExit(exit -> {
                if (exit.returnValue() == 0) {
                    entry.mount().movedAway(relative, lower);
                }
            });
        }
        return true;
    }

    /**
     * Redirects an attribute change made through a descriptor (fchmod, fchown, fsetxattr,
     * fremovexattr, futimens) to the copy a copy-on-write mount keeps, when the descriptor is open
     * on the entry below. The call then runs as its path-based form on the copy, so the layer
     * below never changes. Other descriptors run untouched.
     */
    private void changeThroughDescriptor(SyscallStop stop, Syscall syscall) {
        if (!mounts.hasChangeTrackers()) {
            return;
        }
        int tid = stop.tracee().tid();
        String hostPath = libc.readlink("/proc/" + tid + "/fd/" + (int) stop.argument(0));
        if (hostPath == null || !hostPath.startsWith("/")) {
            return;
        }
        String viewPath = mounts.toView(hostPath).viewPath();
        Optional<MountTable.Entry> tracker = mounts.changeTracker(viewPath);
        if (tracker.isEmpty()) {
            return;
        }
        MountTable.Entry entry = tracker.get();
        String relative = MountTable.relative(entry.mountPoint(), viewPath);
        if (entry.mount().map(relative) instanceof PathMapping.Host own && own.path().equals(hostPath)) {
            // The descriptor is open on the mount's own copy already.
            return;
        }

        org.kmview.spi.LowerLayer lower = lowerLayer(entry);
        Optional<PathMapping> prepared;
        try {
            prepared = entry.mount().prepareChange(relative, org.kmview.spi.Change.WRITE, lower);
        } catch (ServiceException e) {
            stop.fail(e.errno().number());
            return;
        }
        if (prepared.isEmpty() || !(prepared.get() instanceof PathMapping.Host host) || host.path().equals(hostPath)) {
            return;
        }

        long path = stop.pushString(host.path());
        if (path == 0) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        long[] original = stop.arguments();
        long atFdcwd = PathResolver.AT_FDCWD;
        switch (syscall) {
            case FCHMOD -> stop.replaceSyscall(arch.number(Syscall.FCHMODAT).orElseThrow(), atFdcwd, path, original[1], 0);
            case FCHOWN -> stop.replaceSyscall(arch.number(Syscall.FCHOWNAT).orElseThrow(), atFdcwd, path, original[1],
                    original[2], 0);
            case FSETXATTR -> stop.replaceSyscall(arch.number(Syscall.SETXATTR).orElseThrow(), path, original[1],
                    original[2], original[3], original[4]);
            case FREMOVEXATTR -> stop.replaceSyscall(arch.number(Syscall.REMOVEXATTR).orElseThrow(), path, original[1]);
            default -> stop.replaceSyscall(arch.number(Syscall.UTIMENSAT).orElseThrow(), atFdcwd, path, original[2],
                    original[3] & ~Syscall.Flags.AT_EMPTY_PATH);
        }
        stop.atExit(exit -> exit.resetArguments(original));
        LOG.trace("[{}] {} on a descriptor of {} runs on the copy {}", tid, syscall, viewPath, host.path());
    }

    /** Returns what the view shows below {@code entry}'s mount point without that mount. */
    private org.kmview.spi.LowerLayer lowerLayer(MountTable.Entry entry) {
        return path -> Optional.ofNullable(mounts.mapPast(MountTable.join(entry.mountPoint(), path), entry));
    }

    private static boolean removesName(Syscall syscall) {
        return switch (syscall) {
            case UNLINK, UNLINKAT, RENAME, RENAMEAT, RENAMEAT2, LINK, LINKAT -> true;
            default -> false;
        };
    }

    private static boolean opensForWriting(SyscallStop stop, Syscall syscall) {
        return switch (syscall) {
            case CREAT -> true;
            case OPEN -> (stop.argument(1) & O_ACCMODE) != O_RDONLY;
            case OPENAT -> (stop.argument(2) & O_ACCMODE) != O_RDONLY;
            default -> false;
        };
    }

    /**
     * Makes the process trap its writes when it opens a control file for writing, so each write
     * to the file reaches the service. Other processes never trap writes.
     *
     * @param flagsIndex the index of the argument with the open flags, or -1 when there is none
     */
    private void noteControlFileOpen(SyscallStop stop, PathResolver.Resolution resolution, int flagsIndex) {
        if (resolution.error() == null && resolution.viewPath() != null
                && mounts.controlAt(resolution.viewPath()).isPresent()) {
            trapWrites.accept(stop.tracee().tid());
            // The service keeps the file's content, which O_TRUNC (as in `echo 1 > FILE`) would erase.
            if (flagsIndex >= 0 && (stop.argument(flagsIndex) & O_TRUNC) != 0) {
                stop.setArgument(flagsIndex, stop.argument(flagsIndex) & ~O_TRUNC);
            }
        }
    }

    /**
     * Hands a write on a control file to its service; other writes run untouched. Only processes
     * that opened a control file trap their writes at all.
     */
    private void writeToControlFile(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        int tid = stop.tracee().tid();
        int outIndex = syscall == Syscall.SPLICE || syscall == Syscall.COPY_FILE_RANGE ? 2 : 0;
        String hostPath = libc.readlink("/proc/" + tid + "/fd/" + (int) stop.argument(outIndex));
        if (hostPath == null || !hostPath.startsWith("/")) {
            return;
        }
        Optional<MountTable.Control> control = mounts.controlOfHost(hostPath);
        if (control.isEmpty()) {
            return;
        }
        if (syscall == Syscall.SENDFILE || syscall == Syscall.SPLICE || syscall == Syscall.COPY_FILE_RANGE) {
            // As for a file system that cannot copy in the kernel: cat, cp and others fall back
            // to read and write, which reach the service.
            stop.fail(syscall == Syscall.COPY_FILE_RANGE ? Errno.EXDEV.number() : Errno.EINVAL.number());
            return;
        }
        byte[] data = switch (syscall) {
            case WRITE, PWRITE64 -> stop.read(stop.argument(1), (int) Math.min(stop.argument(2), MAX_CONTROL_WRITE));
            default -> gather(stop, stop.argument(1), stop.argument(2));
        };
        if (data == null) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        try {
            stop.skip(control.get().file().write(data, caller(tid)));
        } catch (ServiceException e) {
            // The process gets only the errno, so the reason goes to kmview's stderr, as for a mount.
            LOG.warn("write to {} failed: {}", control.get().viewPath(), e.getMessage());
            stop.fail(e.errno().number());
        } catch (RuntimeException e) {
            LOG.error("[{}] the service of {} failed to serve a write", tid, control.get().viewPath(), e);
            stop.fail(Errno.EIO.number());
        }
    }

    /**
     * Lets a mount that syncs files write back the file of a descriptor that is closed or synced.
     * syncfs writes back the whole mount and sync every such mount, and dup2 and dup3 count as a
     * close of their target. An error fails fsync, fdatasync and syncfs, while a close still closes.
     */
    private void sync(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        int tid = stop.tracee().tid();
        if (syscall == Syscall.SYNC) {
            for (MountTable.Entry entry : mounts.entries()) {
                if (entry.mount().syncsFiles()) {
                    syncMount(tid, entry, "", true, syscall);
                }
            }
            return;
        }

        boolean closing = syscall == Syscall.CLOSE || syscall == Syscall.DUP2 || syscall == Syscall.DUP3;
        int fd = (int) stop.argument(syscall == Syscall.DUP2 || syscall == Syscall.DUP3 ? 1 : 0);
        if ((syscall == Syscall.DUP2 || syscall == Syscall.DUP3) && fd == (int) stop.argument(0)) {
            return;
        }
        String hostPath = libc.readlink("/proc/" + tid + "/fd/" + fd);
        if (hostPath == null || !hostPath.startsWith("/")) {
            return;
        }
        Optional<MountTable.Synced> synced = mounts.syncingMountOfHost(hostPath);
        if (synced.isEmpty()) {
            return;
        }

        String relative = syscall == Syscall.SYNCFS ? "" : synced.get().relative();
        Errno error = syncMount(tid, synced.get().entry(), relative, !closing, syscall);
        if (error != null && !closing) {
            stop.fail(error.number());
        }
    }

    /** Calls {@link VirtualMount#sync}; returns the errno it failed with, or null. */
    private static Errno syncMount(int tid, MountTable.Entry entry, String relative, boolean durable,
                                   Syscall syscall) {
        try {
            entry.mount().sync(relative, durable);
            return null;
        } catch (ServiceException e) {
            LOG.warn("{} of {} on {} failed: {}", syscall.name().toLowerCase(java.util.Locale.ROOT),
                    MountTable.join(entry.mountPoint(), relative), entry.type(), e.getMessage());
            return e.errno();
        } catch (RuntimeException e) {
            LOG.error("[{}] service {} failed to sync {} of {}", tid, entry.service(), relative, entry.mountPoint(), e);
            return Errno.EIO;
        }
    }

    /**
     * Fails a read of a control file when its service refuses reads now; other reads run
     * untouched. Only processes that opened a control file trap their reads at all.
     */
    private void readFromControlFile(SyscallStop stop) {
        if (mounts.isEmpty()) {
            return;
        }
        String hostPath = libc.readlink("/proc/" + stop.tracee().tid() + "/fd/" + (int) stop.argument(0));
        if (hostPath == null || !hostPath.startsWith("/")) {
            return;
        }
        mounts.controlOfHost(hostPath).ifPresent(control -> control.file().readError().ifPresent(stop::fail));
    }

    /**
     * Returns POLLERR at once for a poll of one descriptor on a control file that fails reads, as
     * the kernel does for a FUSE device whose file system is gone. libfuse then skips its own
     * unmount of the gone mount. Other polls run untouched.
     */
    private void pollControlFile(SyscallStop stop) {
        if (mounts.isEmpty() || stop.argument(1) != 1) {
            return;
        }
        // struct pollfd {int fd; short events; short revents;}
        byte[] pollfd = stop.read(stop.argument(0), 8);
        if (pollfd == null) {
            return;
        }
        ByteBuffer entry = ByteBuffer.wrap(pollfd).order(ByteOrder.nativeOrder());
        String hostPath = libc.readlink("/proc/" + stop.tracee().tid() + "/fd/" + entry.getInt(0));
        if (hostPath == null || !hostPath.startsWith("/")) {
            return;
        }
        Optional<MountTable.Control> control = mounts.controlOfHost(hostPath);
        if (control.isPresent() && control.get().file().readError().isPresent()) {
            entry.putShort(6, POLLERR);
            if (stop.write(stop.argument(0), entry.array())) {
                stop.skip(1);
            }
        }
    }

    /** Reads the buffers of a struct iovec array, up to {@link #MAX_CONTROL_WRITE} bytes in all. */
    private static byte[] gather(SyscallStop stop, long iovecs, long count) {
        if (count < 0 || count > IOV_MAX) {
            return null;
        }
        byte[] array = count == 0 ? new byte[0] : stop.read(iovecs, (int) count * 16);
        if (array == null) {
            return null;
        }
        ByteBuffer entries = ByteBuffer.wrap(array).order(ByteOrder.nativeOrder());
        // The total first, so the data is gathered into one array of its final size.
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += Math.max(0, entries.getLong(16 * i + 8));
        }
        byte[] data = new byte[(int) Math.min(total, MAX_CONTROL_WRITE)];
        int filled = 0;
        for (int i = 0; i < count && filled < data.length; i++) {
            long base = entries.getLong(16 * i);
            int length = (int) Math.min(entries.getLong(16 * i + 8), data.length - filled);
            if (length > 0) {
                byte[] part = stop.read(base, length);
                if (part == null) {
                    return null;
                }
                System.arraycopy(part, 0, data, filled, length);
                filled += length;
            }
        }
        return data;
    }

    /** Returns the writer of a control file, as the service's ControlFile.Caller. */
    private ControlFile.Caller caller(int tid) {
        int pid = tgid(tid);
        return new ControlFile.Caller() {
            @Override
            public int pid() {
                return pid;
            }

            @Override
            public Optional<String> hostPath(String path) {
                PathResolver.Resolution resolution = resolver.resolve(tid, pid, PathResolver.AT_FDCWD, path, true);
                if (resolution.error() != null || resolution.hostPath() == null
                        || !java.nio.file.Files.exists(java.nio.file.Path.of(resolution.hostPath()))) {
                    return Optional.empty();
                }
                return Optional.of(resolution.hostPath());
            }
        };
    }

    /**
     * Translates execve and execveat.
     *
     * <p>A file the kernel cannot run itself (neither an ELF binary of this machine nor a #!
     * script) goes to the interpreters the mounts offer ({@link InterpretedExec}).
     *
     * <p>A script whose path or #! interpreter the view changes is run as the kernel's
     * binfmt_script would run it, but with both paths in view terms: the interpreter's host path
     * is exec'd with the argument list {@code interpreter [arg] script args...}, where
     * {@code script} is the path as the process gave it, so the interpreter opens it through the
     * view.
     */
    private void translateExec(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty() || interpreted.continueRestarted(stop)) {
            return;
        }
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Resolution resolution = resolveArgument(stop, pathArg, pathArg.followsLast(stop.arguments()));
        if (resolution == null || resolution.error() != null) {
            if (resolution != null) {
                apply(stop, pathArg, resolution);
            }
            return;
        }
        int tid = stop.tracee().tid();
        String pathAsGiven = stop.readString(stop.argument(pathArg.index()));
        if (pathAsGiven == null) {
            // Another thread changed the path's memory since it was resolved: leave it to the kernel.
            apply(stop, pathArg, resolution);
            return;
        }
        String viewPath = resolution.viewPath();
        String hostPath = resolution.hostPath();
        if (pathAsGiven.isEmpty() && syscall == Syscall.EXECVEAT
                && (stop.argument(4) & Syscall.Flags.AT_EMPTY_PATH) != 0) {
            // fexecve: the file is the descriptor itself.
            hostPath = libc.readlink("/proc/" + tid + "/fd/" + (int) stop.argument(pathArg.dirfd()));
            viewPath = hostPath == null || !hostPath.startsWith("/") ? null : mounts.toView(hostPath).viewPath();
        }
        byte[] header = new byte[Executable.HEADER_SIZE];
        int length = viewPath == null ? -1 : readHeader(hostPath, header);
        if (length < 0) {
            apply(stop, pathArg, resolution);
            return;
        }
        String filename = execFilename(stop, syscall, pathArg, pathAsGiven);
        int argvIndex = pathArg.index() + 1;
        if (!InterpretedExec.kernelRuns(header, length)) {
            List<Long> argv = readPointerArray(stop, stop.argument(argvIndex));
            if (argv == null) {
                stop.fail(Errno.EFAULT.number());
                return;
            }
            Executable executable = new Executable(filename, viewPath, hostPath, header);
            if (interpreted.run(stop, syscall, tid, tgid(tid), executable, argv, stop.argument(argvIndex + 1))) {
                showExecFilename(stop, filename);
            } else {
                apply(stop, pathArg, resolution);
                if (resolution.translated()) {
                    showExecFilename(stop, filename);
                }
            }
            return;
        }
        Script script = Script.parse(header, length);
        if (script == null) {
            apply(stop, pathArg, resolution);
            if (resolution.translated()) {
                showExecFilename(stop, filename);
            }
            return;
        }
        PathResolver.Resolution interpreter = resolver.resolve(tid, tgid(tid), PathResolver.AT_FDCWD,
                script.interpreter(), true);
        if (interpreter.error() == null && runsThroughInterpreter(stop, syscall, tid, script, interpreter, filename,
                argvIndex)) {
            showExecFilename(stop, filename);
            return;
        }
        if (!resolution.translated() && !interpreter.translated() && interpreter.error() == null) {
            return;
        }
        if (interpreter.error() != null) {
            stop.fail(interpreter.error().number());
            return;
        }

        List<Long> argv = readPointerArray(stop, stop.argument(argvIndex));
        if (argv == null) {
            apply(stop, pathArg, resolution);
            return;
        }
        List<Long> newArgv = scriptArguments(stop, script, filename, argv);
        ByteBuffer array = ByteBuffer.allocate(8 * (newArgv.size() + 1)).order(ByteOrder.nativeOrder());
        newArgv.forEach(array::putLong);
        long arrayAddress = stop.pushToStack(array.array());
        long pathAddress = stop.pushString(interpreter.hostPath());
        if (arrayAddress == 0 || pathAddress == 0 || newArgv.contains(0L)) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        stop.setArgument(pathArg.index(), pathAddress);
        stop.setArgument(argvIndex, arrayAddress);
        showExecFilename(stop, filename);
        LOG.trace("[{}] script {} runs {}", tid, resolution.viewPath(), interpreter.hostPath());
    }

    /**
     * Makes the new program's AT_EXECFN name {@code filename}, as the kernel names the file an
     * execve was given, where kmview gave the kernel another path.
     */
    private static void showExecFilename(SyscallStop stop, String filename) {
        stop.alsoAtExec(exec -> {
            if (!AuxiliaryVector.showExecFilename(exec, filename)) {
                LOG.warn("[{}] cannot edit the auxiliary vector; AT_EXECFN names the host path", exec.tracee().tid());
            }
        });
    }

    /** Returns binfmt_script's argument list, {@code interpreter [arg] script args...}, as pointers. */
    private static List<Long> scriptArguments(SyscallStop stop, Script script, String filename, List<Long> argv) {
        List<Long> newArgv = new java.util.ArrayList<>();
        newArgv.add(stop.pushString(script.interpreter()));
        if (script.argument() != null) {
            newArgv.add(stop.pushString(script.argument()));
        }
        newArgv.add(stop.pushString(filename));
        newArgv.addAll(argv.subList(Math.min(1, argv.size()), argv.size()));
        return newArgv;
    }

    /**
     * Runs a script whose #! interpreter the kernel cannot run itself (an arm64 binary, say)
     * through the interpreter a mount offers for that file, as the kernel hands the interpreter of
     * a script on to binfmt_misc. Returns false if the interpreter is native or no mount claims it.
     */
    private boolean runsThroughInterpreter(SyscallStop stop, Syscall syscall, int tid, Script script,
                                           PathResolver.Resolution interpreter, String filename, int argvIndex) {
        byte[] header = new byte[Executable.HEADER_SIZE];
        int length = interpreter.viewPath() == null ? -1 : readHeader(interpreter.hostPath(), header);
        if (length < 0 || InterpretedExec.kernelRuns(header, length)) {
            return false;
        }
        List<Long> argv = readPointerArray(stop, stop.argument(argvIndex));
        if (argv == null) {
            return false;
        }
        Executable executable = new Executable(script.interpreter(), interpreter.viewPath(), interpreter.hostPath(),
                header);
        return interpreted.run(stop, syscall, tid, tgid(tid), executable, scriptArguments(stop, script, filename, argv),
                stop.argument(argvIndex + 1));
    }

    /**
     * Returns the name the kernel gives the file of an exec (bprm->filename): the path as given,
     * or for execveat of a relative path from a descriptor, {@code /dev/fd/N/PATH} or
     * {@code /dev/fd/N}.
     */
    private static String execFilename(SyscallStop stop, Syscall syscall, PathArg pathArg, String pathAsGiven) {
        if (syscall != Syscall.EXECVEAT || pathAsGiven.startsWith("/")) {
            return pathAsGiven;
        }
        int dirfd = (int) stop.argument(pathArg.dirfd());
        if (dirfd == PathResolver.AT_FDCWD) {
            return pathAsGiven;
        }
        return pathAsGiven.isEmpty() ? "/dev/fd/" + dirfd : "/dev/fd/" + dirfd + "/" + pathAsGiven;
    }

    /**
     * Reads the first bytes of a host file into {@code header}, the rest left zero, as the kernel
     * reads them to choose a binary format. Returns how many were read, or -1 if the file is
     * unreadable.
     */
    private static int readHeader(String hostPath, byte[] header) {
        java.nio.file.Path file = java.nio.file.Path.of(hostPath);
        if (!java.nio.file.Files.isRegularFile(file)) {
            // The kernel runs only regular files. Opening a FIFO would block the tracer for good.
            return -1;
        }
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            return in.readNBytes(header, 0, header.length);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Reads a NULL-terminated array of pointers, or returns null if it is unreadable or too long. */
    static List<Long> readPointerArray(SyscallStop stop, long address) {
        List<Long> pointers = new java.util.ArrayList<>();
        for (int i = 0; i < MAX_ARGUMENTS; i++) {
            byte[] raw = stop.read(address + 8L * i, 8);
            if (raw == null) {
                return null;
            }
            long pointer = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder()).getLong();
            if (pointer == 0) {
                return pointers;
            }
            pointers.add(pointer);
        }
        return null;
    }

    /** Resolves one path argument; returns null when the kernel should see it unchanged. */
    private PathResolver.Resolution resolveArgument(SyscallStop stop, PathArg pathArg, boolean followLast) {
        return resolveArgument(stop, pathArg, followLast, PathResolver.Scope.NONE);
    }

    private PathResolver.Resolution resolveArgument(SyscallStop stop, PathArg pathArg, boolean followLast,
                                                    PathResolver.Scope scope) {
        String path = stop.readString(stop.argument(pathArg.index()));
        if (path == null) {
            // NULL, unreadable or too long: the kernel fails it with EFAULT or ENAMETOOLONG.
            return null;
        }
        int dirfd = pathArg.dirfd() < 0 ? PathResolver.AT_FDCWD : (int) stop.argument(pathArg.dirfd());
        int tid = stop.tracee().tid();
        // A call that reads only metadata spares mounts that fill files lazily (umfuse) the content.
        mounts.setMetadataOnly(METADATA_ONLY.contains(arch.syscall((int) stop.nr())));
        try {
            return resolver.resolve(tid, tgid(tid), dirfd, path, followLast, scope);
        } finally {
            mounts.setMetadataOnly(false);
        }
    }

    /** Rewrites one argument to the host path of {@code resolution}; returns false if the call failed instead. */
    private boolean apply(SyscallStop stop, PathArg pathArg, PathResolver.Resolution resolution) {
        if (resolution.error() != null) {
            stop.fail(resolution.error().number());
            return false;
        }
        if (resolution.translated()) {
            long address = stop.pushString(resolution.hostPath());
            if (address == 0) {
                LOG.warn("[{}] cannot write a translated path below the stack pointer", stop.tracee().tid());
                stop.fail(Errno.EFAULT.number());
                return false;
            }
            stop.setArgument(pathArg.index(), address);
            LOG.trace("[{}] {} -> {}", stop.tracee().tid(), resolution.viewPath(), resolution.hostPath());
        }
        return true;
    }

    private void translateOpenat2(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        byte[] openHow = stop.read(stop.argument(2), OPEN_HOW_SIZE);
        if (openHow == null || stop.argument(3) < OPEN_HOW_SIZE) {
            return;
        }
        ByteBuffer fields = ByteBuffer.wrap(openHow).order(ByteOrder.nativeOrder());
        long flags = fields.getLong(0);
        long resolve = fields.getLong(16);
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Scope scope = (resolve & RESOLVE_IN_ROOT) != 0 ? PathResolver.Scope.IN_ROOT
                : (resolve & RESOLVE_BENEATH) != 0 ? PathResolver.Scope.BENEATH : PathResolver.Scope.NONE;
        if ((resolve & RESOLVE_IN_ROOT) != 0 && (resolve & RESOLVE_BENEATH) != 0) {
            // The kernel rejects the pair before looking at the path.
            return;
        }
        PathResolver.Resolution resolution = resolveArgument(stop, pathArg, PathArg.followsLastForOpen(flags), scope);
        if (resolution == null || (resolution.error() == null && !resolution.translated())) {
            // The kernel enforces RESOLVE_* itself on an untranslated path.
            return;
        }

        // The rewritten path is absolute, so the RESOLVE_* checks are made here, in view terms.
        Errno violation = null;
        if ((resolve & RESOLVE_NO_SYMLINKS) != 0 && resolution.followedSymlink) {
            violation = Errno.ELOOP;
        } else if ((resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)) != 0 && resolution.followedMagicLink) {
            violation = Errno.ELOOP;
        } else if ((resolve & RESOLVE_NO_XDEV) != 0) {
            violation = Errno.EXDEV;
        }
        if (violation != null) {
            stop.fail(violation.number());
            return;
        }
        boolean writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0 || ((flags & O_CREAT) != 0
                && (resolution.hostPath() == null || libc.lstatMode(resolution.hostPath()) < 0));
        if (writing && resolution.error() == null && resolution.viewPath() != null
                && mounts.readOnly(resolution.viewPath())) {
            stop.fail(Errno.EROFS.number());
            return;
        }
        if (writing && resolution.error() == null && resolution.viewPath() != null
                && !prepareChange(stop, syscall, pathArg, resolution)) {
            return;
        }
        if (!apply(stop, pathArg, resolution)) {
            return;
        }
        if ((flags & O_ACCMODE) != O_RDONLY) {
            // NOTE: O_TRUNC in open_how stays, so the service rewrites the file after each write.
            noteControlFileOpen(stop, resolution, -1);
        }
        long cleared = resolve & ~(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS
                | RESOLVE_BENEATH | RESOLVE_IN_ROOT);
        if (cleared != resolve) {
            fields.putLong(16, cleared);
            long address = stop.pushToStack(openHow);
            if (address == 0) {
                stop.fail(Errno.EFAULT.number());
                return;
            }
            stop.setArgument(2, address);
        }
    }

    private void readlink(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Resolution resolution = resolveArgument(stop, pathArg, false);
        if (resolution == null) {
            return;
        }
        if (resolution.error() == null && resolution.lastIsMagicLink && mounts.hasHostRoots()) {
            String target = libc.readlink(resolution.hostPath());
            if (target != null && target.startsWith("/")) {
                MountTable.ViewName view = mounts.toView(target);
                if (view.viaMount()) {
                    int bufferIndex = pathArg.index() + 1;
                    answerWithString(stop, stop.argument(bufferIndex), stop.argument(bufferIndex + 1),
                            view.viewPath(), false);
                    return;
                }
            }
        }
        apply(stop, pathArg, resolution);
    }

    private void getcwd(SyscallStop stop) {
        if (mounts.isEmpty()) {
            return;
        }
        int tid = stop.tracee().tid();
        String hostCwd = libc.readlink("/proc/" + tid + "/cwd");
        if (hostCwd == null || !hostCwd.startsWith("/")) {
            return;
        }
        MountTable.ViewName view = mounts.toView(hostCwd);
        if (mounts.map(view.viewPath()).hidden()) {
            // As for a removed cwd: the directory has no path in the view.
            stop.fail(Errno.ENOENT.number());
        } else if (view.viaMount()) {
            answerWithString(stop, stop.argument(0), stop.argument(1), view.viewPath(), true);
        }
    }

    /**
     * Skips the call and returns {@code value} in the caller's buffer: NUL-terminated with the
     * length plus one (getcwd), or truncated to the buffer without NUL (readlink).
     */
    private static void answerWithString(SyscallStop stop, long buffer, long size, String value, boolean terminated) {
        byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
        int length = terminated ? raw.length + 1 : (int) Math.min(raw.length, size);
        if (terminated && length > size) {
            stop.fail(Errno.ERANGE.number());
            return;
        }
        byte[] data = new byte[length];
        System.arraycopy(raw, 0, data, 0, Math.min(raw.length, length));
        if (!stop.write(buffer, data)) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        stop.skip(length);
    }

    private void mount(SyscallStop stop, Syscall syscall) {
        String type = stop.readString(stop.argument(2));
        FileSystems.Registration registration = type == null ? null : fileSystems.find(type);
        if (registration == null) {
            translatePaths(stop, syscall);
            return;
        }

        PathResolver.Resolution target = resolveArgument(stop, syscall.paths().get(0), true);
        if (target == null) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        if (target.error() != null) {
            stop.fail(target.error().number());
            return;
        }
        String source = stop.argument(0) == 0 ? "none" : stop.readString(stop.argument(0));
        if (source == null) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        if (!parentExists(target.viewPath())) {
            // As for the kernel, a mount point may be missing but its directory may not.
            LOG.warn("mount -t {} {} on {} failed: the directory {} does not exist; create it first", type, source,
                    target.viewPath(), MountTable.parent(target.viewPath()));
            stop.fail(Errno.ENOENT.number());
            return;
        }
        Optional<String> hostSource = hostSource(stop, source);
        String data = stop.argument(4) == 0 ? "" : stop.readString(stop.argument(4));
        Options options;
        try {
            options = Options.parse(data == null ? "" : data);
        } catch (IllegalArgumentException e) {
            LOG.debug("[{}] mount -t {}: {}", stop.tracee().tid(), type, e.getMessage());
            stop.fail(Errno.EINVAL.number());
            return;
        }

        MountRequest request = new MountRequest(source, hostSource, target.viewPath(), options, stop.argument(3),
                tgid(stop.tracee().tid()));
        try {
            VirtualMount mount = registration.type().mount(request);
            mounts.add(new MountTable.Entry(target.viewPath(), type, source, registration.service(), mount,
                    hostSource.orElse(null)));
            LOG.debug("[{}] mounted {} on {} (type {}, options {})", stop.tracee().tid(), source,
                    target.viewPath(), type, options);
            stop.skip(0);
        } catch (ServiceException e) {
            // The process gets only the errno, so the reason goes to kmview's stderr.
            LOG.warn("mount -t {} {} on {} failed: {}", type, source, target.viewPath(), e.getMessage());
            stop.fail(e.errno().number());
        } catch (RuntimeException e) {
            LOG.error("[{}] service {} failed to mount {} on {}", stop.tracee().tid(), registration.service(),
                    source, target.viewPath(), e);
            stop.fail(Errno.EIO.number());
        }
    }

    /** Returns whether the parent of the view path {@code viewPath} is a directory in the view. */
    private boolean parentExists(String viewPath) {
        if (viewPath.equals("/")) {
            return true;
        }
        MountTable.Mapped parent = mounts.map(MountTable.parent(viewPath));
        return !parent.hidden() && (libc.lstatMode(parent.hostPath()) & Libc.S_IFMT) == Libc.S_IFDIR;
    }

    /** Returns the host path of a mount source that names an existing file in the view. */
    private Optional<String> hostSource(SyscallStop stop, String source) {
        if (source.isEmpty()) {
            return Optional.empty();
        }
        int tid = stop.tracee().tid();
        if (!nesting) {
            // kmview -x: the source names a host file, relative to the host cwd of the caller.
            String hostCwd = libc.readlink("/proc/" + tid + "/cwd");
            String hostPath = source.startsWith("/") || hostCwd == null ? source : MountTable.join(hostCwd, source);
            return libc.lstatMode(hostPath) < 0 ? Optional.empty() : Optional.of(hostPath);
        }
        PathResolver.Resolution resolution = resolver.resolve(tid, tgid(tid), PathResolver.AT_FDCWD, source, true);
        if (resolution.error() != null || resolution.viewPath() == null || libc.lstatMode(resolution.hostPath()) < 0) {
            return Optional.empty();
        }
        return Optional.of(resolution.hostPath());
    }

    private void umount(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        PathArg pathArg = syscall.paths().get(0);
        PathResolver.Resolution target = resolveArgument(stop, pathArg, pathArg.followsLast(stop.arguments()));
        if (target == null) {
            return;
        }
        String mountPoint = target.error() == null ? target.viewPath() : hiddenMountPoint(stop, pathArg);
        Optional<MountTable.Entry> top = mountPoint == null ? Optional.empty() : mounts.top(mountPoint);
        if (top.isPresent() && (stop.argument(1) & MNT_DETACH) == 0) {
            String user = mountUser(top.get());
            if (user == null) {
                user = busyUser(top.get());
            }
            if (user != null) {
                LOG.warn("umount {} failed: {} is below it; use viewumount -l to unmount it anyway",
                        mountPoint, user);
                stop.fail(Errno.EBUSY.number());
                return;
            }
        }
        if (mountPoint != null) {
            Optional<MountTable.Entry> removed = mounts.remove(mountPoint);
            if (removed.isPresent()) {
                unmount(removed.get());
                LOG.debug("[{}] unmounted {}", stop.tracee().tid(), mountPoint);
                stop.skip(0);
                return;
            }
        }
        apply(stop, pathArg, target);
    }

    /**
     * Returns a description of another mount that needs {@code entry}: one whose mount point lies
     * below it, or whose source (an image inside an archive, say) lies in its host tree. Returns
     * null if there is none.
     */
    private String mountUser(MountTable.Entry entry) {
        Optional<String> hostRoot = entry.mount().hostRoot();
        for (MountTable.Entry other : mounts.entries()) {
            if (other == entry) {
                continue;
            }
            if (!other.mountPoint().equals(entry.mountPoint()) && MountTable.isWithin(other.mountPoint(), entry.mountPoint())) {
                return "the mount on " + other.mountPoint();
            }
            if (hostRoot.isPresent() && other.hostSource() != null && MountTable.isWithin(other.hostSource(), hostRoot.get())
                    && !other.hostSource().equals(hostRoot.get()) && !hostRoot.get().equals("/")) {
                return "the source of the mount on " + other.mountPoint();
            }
        }
        return null;
    }

    /**
     * Returns a description of a process of the view whose working directory or open file lies
     * below the host tree of {@code entry}, or null if there is none. Only processes this tracer
     * traces count, so processes outside the view never make a mount busy.
     */
    private String busyUser(MountTable.Entry entry) {
        Optional<String> hostRoot = entry.mount().hostRoot();
        if (hostRoot.isEmpty()) {
            return null;
        }
        String tracer = Integer.toString(libc.gettid());
        java.io.File[] processes = new java.io.File("/proc").listFiles(file -> file.getName().matches("\\d+"));
        if (processes == null) {
            return null;
        }
        for (java.io.File process : processes) {
            String pid = process.getName();
            if (!tracer.equals(statusField(pid, "TracerPid:"))) {
                continue;
            }
            String cwd = libc.readlink("/proc/" + pid + "/cwd");
            if (cwd != null && MountTable.isWithin(cwd, hostRoot.get())) {
                return "the working directory of process " + pid;
            }
            String[] fds = new java.io.File("/proc/" + pid + "/fd").list();
            for (String fd : fds == null ? new String[0] : fds) {
                String target = libc.readlink("/proc/" + pid + "/fd/" + fd);
                if (target != null && MountTable.isWithin(target, hostRoot.get())) {
                    return "file descriptor " + fd + " of process " + pid;
                }
            }
        }
        return null;
    }

    private static String statusField(String pid, String field) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"),
                    StandardCharsets.ISO_8859_1)) {
                if (line.startsWith(field)) {
                    return line.substring(field.length()).trim();
                }
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // The process ended meanwhile.
        }
        return null;
    }

    /**
     * Returns the view path of a umount target whose last component is the mount point of a hide.
     * Only its parent is resolved, because the name itself is hidden. Returns null for other paths.
     */
    private String hiddenMountPoint(SyscallStop stop, PathArg pathArg) {
        String path = stop.readString(stop.argument(pathArg.index()));
        if (path == null) {
            return null;
        }
        String trimmed = path.replaceAll("/+$", "");
        int slash = trimmed.lastIndexOf('/');
        String name = trimmed.substring(slash + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            return null;
        }
        String parentPath;
        if (slash < 0) {
            parentPath = ".";
        } else if (slash == 0) {
            parentPath = "/";
        } else {
            parentPath = trimmed.substring(0, slash);
        }
        int tid = stop.tracee().tid();
        PathResolver.Resolution parent = resolver.resolve(tid, tgid(tid), PathResolver.AT_FDCWD, parentPath, true);
        if (parent.error() != null || parent.viewPath() == null) {
            return null;
        }
        String candidate = MountTable.join(parent.viewPath(), name);
        return mounts.map(candidate).hidden() ? candidate : null;
    }

    private static void unmount(MountTable.Entry entry) {
        try {
            entry.mount().unmount();
        } catch (RuntimeException e) {
            LOG.error("service {} failed to release its mount on {}", entry.service(), entry.mountPoint(), e);
        }
    }

    /** Unmounts every mount, newest first, when the view ends. */
    public void unmountAll() {
        List<MountTable.Entry> entries = mounts.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            mounts.remove(entries.get(i).mountPoint()).ifPresent(Dispatcher::unmount);
        }
    }

    private void translateSocketAddress(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        int addressIndex = syscall == Syscall.SENDTO ? 4 : 1;
        long address = stop.argument(addressIndex);
        int length = (int) Math.min(stop.argument(addressIndex + 1), SUN_PATH_OFFSET + SUN_PATH_MAX);
        if (address == 0 || length <= SUN_PATH_OFFSET + 1) {
            return;
        }
        byte[] raw = stop.read(address, length);
        String path = raw == null ? null : unixSocketPath(raw);
        if (path == null) {
            return;
        }
        int tid = stop.tracee().tid();
        boolean creates = syscall == Syscall.BIND;
        PathResolver.Resolution resolution = resolver.resolve(tid, tgid(tid), PathResolver.AT_FDCWD, path, !creates);
        if (resolution.error() != null) {
            stop.fail(resolution.error().number());
            return;
        }
        if (!resolution.translated()) {
            return;
        }

        byte[] hostPath = resolution.hostPath().getBytes(StandardCharsets.ISO_8859_1);
        if (hostPath.length >= SUN_PATH_MAX) {
            // NOTE: a host path of 108 bytes or more cannot be bound; a short symlink would lift this.
            stop.fail(Errno.ENAMETOOLONG.number());
            return;
        }
        byte[] translated = new byte[SUN_PATH_OFFSET + hostPath.length + 1];
        translated[0] = raw[0];
        translated[1] = raw[1];
        System.arraycopy(hostPath, 0, translated, SUN_PATH_OFFSET, hostPath.length);
        long pushed = stop.pushToStack(translated);
        if (pushed == 0) {
            stop.fail(Errno.EFAULT.number());
            return;
        }
        stop.setArgument(addressIndex, pushed);
        stop.setArgument(addressIndex + 1, translated.length);
        if (syscall != Syscall.SENDTO) {
            // getsockname and getpeername of this socket, and accept on it, return the host path.
            trapSocketNames.accept(tid);
        }
    }

    /**
     * Returns the path in a struct sockaddr_un, or null if the address is not AF_UNIX, is unnamed
     * or is an abstract name.
     */
    private static String unixSocketPath(byte[] raw) {
        if (raw.length <= SUN_PATH_OFFSET || (raw[0] & 0xff | (raw[1] & 0xff) << 8) != AF_UNIX
                || raw[SUN_PATH_OFFSET] == 0) {
            return null;
        }
        int end = SUN_PATH_OFFSET;
        while (end < raw.length && raw[end] != 0) {
            end++;
        }
        return new String(raw, SUN_PATH_OFFSET, end - SUN_PATH_OFFSET, StandardCharsets.ISO_8859_1);
    }

    /**
     * Rewrites the host path that getsockname, getpeername, accept and accept4 return for an
     * AF_UNIX socket bound through a mount to the view's path. As the kernel does, a path longer
     * than the caller's buffer is cut, and the length field gives the whole length.
     */
    private void showSocketNameInView(SyscallStop stop) {
        long address = stop.argument(1);
        long lengthAddress = stop.argument(2);
        if (mounts.isEmpty() || address == 0 || lengthAddress == 0) {
            return;
        }
        byte[] sizeField = stop.read(lengthAddress, 4);
        if (sizeField == null) {
            return;
        }
        int bufferSize = ByteBuffer.wrap(sizeField).order(ByteOrder.nativeOrder()).getInt();
        if (bufferSize <= SUN_PATH_OFFSET) {
            return;
        }
        stop.alsoAtExit(exit -> {
            if (exit.returnValue() < 0) {
                return;
            }
            byte[] lengthField = exit.read(lengthAddress, 4);
            if (lengthField == null) {
                return;
            }
            int length = ByteBuffer.wrap(lengthField).order(ByteOrder.nativeOrder()).getInt();
            byte[] raw = exit.read(address, Math.min(Math.min(length, bufferSize), SUN_PATH_OFFSET + SUN_PATH_MAX));
            String hostPath = raw == null ? null : unixSocketPath(raw);
            if (hostPath == null) {
                return;
            }
            MountTable.ViewName view = mounts.toView(hostPath);
            if (!view.viaMount()) {
                return;
            }
            byte[] viewPath = view.viewPath().getBytes(StandardCharsets.ISO_8859_1);
            byte[] viewAddress = new byte[SUN_PATH_OFFSET + viewPath.length + 1];
            viewAddress[0] = raw[0];
            viewAddress[1] = raw[1];
            System.arraycopy(viewPath, 0, viewAddress, SUN_PATH_OFFSET, viewPath.length);
            exit.write(address, java.util.Arrays.copyOf(viewAddress, Math.min(viewAddress.length, bufferSize)));
            exit.write(lengthAddress, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(viewAddress.length).array());
        });
    }

    private void filterDirectoryEntries(SyscallStop stop, Syscall syscall) {
        if (mounts.isEmpty()) {
            return;
        }
        int tid = stop.tracee().tid();
        int fd = (int) stop.argument(0);
        String hostDir = libc.readlink("/proc/" + tid + "/fd/" + fd);
        if (hostDir == null || !hostDir.startsWith("/")) {
            return;
        }

        // Most directories hold no mount point, so the fd's position is read only for those that do.
        String viewDir = mounts.toView(hostDir).viewPath();
        List<String> hidden = mounts.hiddenNamesIn(viewDir);
        if (mounts.hasMergedListings()) {
            List<DirectoryEntries.Entry> points = mounts.mountPointNamesIn(viewDir).isEmpty() ? List.of()
                    : missingMountPoints(viewDir, hostDir);
            if (MergedListing.serve(stop, syscall, arch, mounts, tid, viewDir, hostDir, hidden, points)) {
                return;
            }
        }
        List<DirectoryEntries.Entry> added = List.of();
        if (!mounts.mountPointNamesIn(viewDir).isEmpty() && firstBatch(tid, fd)) {
            added = missingMountPoints(viewDir, hostDir);
        }
        if (hidden.isEmpty() && added.isEmpty()) {
            return;
        }

        DirectoryEntries format = syscall == Syscall.GETDENTS64 ? DirectoryEntries.LINUX_DIRENT64
                : DirectoryEntries.LINUX_DIRENT;
        long buffer = stop.argument(1);
        long capacity = stop.argument(2);
        List<DirectoryEntries.Entry> entriesToAdd = added;
        stop.atExit(exit -> editBatch(exit, format, buffer, capacity, hidden, entriesToAdd));
    }

    /** At the exit of getdents: removes the hidden names from the batch and appends the added entries. */
    private static void editBatch(SyscallStop exit, DirectoryEntries format, long buffer, long capacity,
                                  List<String> hidden, List<DirectoryEntries.Entry> added) {
        long count = exit.returnValue();
        if (count <= 0) {
            return;
        }
        byte[] data = exit.read(buffer, (int) count);
        if (data == null) {
            return;
        }

        int keptLength = format.remove(data, (int) count, hidden);
        byte[] extra = format.encode(added, data, keptLength);
        if (keptLength + extra.length > capacity) {
            // NOTE: a mount point missing on the host is listed only if the first batch has room for
            // it, so a full first buffer leaves it out of the listing.
            extra = new byte[0];
        }
        if (keptLength == count && extra.length == 0) {
            return;
        }
        if (keptLength == 0 && extra.length == 0) {
            // An empty batch would read as the end of the directory: read the next batch instead.
            exit.restart();
            return;
        }

        byte[] result = new byte[keptLength + extra.length];
        System.arraycopy(data, 0, result, 0, keptLength);
        System.arraycopy(extra, 0, result, keptLength, extra.length);
        exit.write(buffer, result);
        exit.setReturnValue(result.length);
    }

    /** Returns whether the directory fd is at its start, so its next batch is the first. */
    private static boolean firstBatch(int tid, int fd) {
        try {
            for (String line : java.nio.file.Files.readAllLines(
                    java.nio.file.Path.of("/proc/" + tid + "/fdinfo/" + fd), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("pos:")) {
                    return line.substring(4).trim().equals("0");
                }
            }
        } catch (java.io.IOException e) {
            LOG.debug("[{}] cannot read the position of fd {}: {}", tid, fd, e.getMessage());
        }
        return false;
    }

    /**
     * Returns entries for the mount points directly in {@code viewDir} that the host directory
     * lacks, so a mount on a path that does not exist shows in its parent's listing.
     */
    private List<DirectoryEntries.Entry> missingMountPoints(String viewDir, String hostDir) {
        List<DirectoryEntries.Entry> entries = new java.util.ArrayList<>();
        for (String name : mounts.mountPointNamesIn(viewDir)) {
            if (libc.lstatMode(MountTable.join(hostDir, name)) >= 0) {
                continue;
            }
            MountTable.Mapped mapped = mounts.map(MountTable.join(viewDir, name));
            if (mapped.hidden()) {
                continue;
            }
            int mode = libc.lstatMode(mapped.hostPath());
            if (mode >= 0) {
                entries.add(new DirectoryEntries.Entry(name, libc.lstatInode(mapped.hostPath()), mode));
            }
        }
        return entries;
    }

    private void rejectBypass(SyscallStop stop, Syscall syscall) {
        if (fileSystems.isEmpty()) {
            return;
        }
        // io_uring would run path operations in the kernel, past translation; handles bypass paths.
        Errno errno = syscall == Syscall.IO_URING_SETUP ? Errno.ENOSYS : Errno.EOPNOTSUPP;
        stop.fail(errno.number());
    }

    /** Returns the process id of thread {@code tid}, read once from /proc/TID/status. */
    private int tgid(int tid) {
        Integer known = tgids.get(tid);
        if (known != null) {
            return known;
        }
        int tgid = readTgid(tid);
        tgids.put(tid, tgid);
        return tgid;
    }

    private int readTgid(int tid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + tid + "/status"),
                    StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("Tgid:")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            LOG.debug("[{}] cannot read the thread group id: {}", tid, e.getMessage());
        }
        return tid;
    }
}
