package org.kmview.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.kmview.core.internal.dispatch.Dispatcher;
import org.kmview.core.internal.dispatch.FileSystems;
import org.kmview.core.internal.dispatch.ManagementCall;
import org.kmview.core.internal.dispatch.MountTable;
import org.kmview.core.internal.dispatch.ServiceManager;
import org.kmview.core.internal.dispatch.ViewIdentity;
import org.kmview.core.internal.nativeaccess.JnaLibc;
import org.kmview.core.internal.nativeaccess.JnaPtrace;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.service.LoadedService;
import org.kmview.core.internal.service.ServiceLayers;
import org.kmview.core.internal.syscall.Arch;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SeccompFilter;
import org.kmview.core.internal.tracer.Tracer;
import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;

/**
 * A view: its services, its mount table, and the program running in it.
 */
public final class View implements ServiceManager {

    private static final Log LOG = Log.of(View.class);
    /** The type shown for a mount a service added itself, such as a device file. */
    private static final String DEVICE_TYPE = "kmview-device";
    /**
     * The calls secure mode traps besides the credential calls: owner and mode changes, the calls
     * that create files, whose owners it records, and the stat calls that show owners. Also the
     * access checks that root of the view passes below a cow mount, and exec, for set-ID files.
     */
    private static final java.util.Set<Syscall> SECURE_MODE_CALLS = java.util.EnumSet.of(Syscall.CHOWN,
            Syscall.LCHOWN, Syscall.FCHOWNAT, Syscall.FCHOWN, Syscall.STAT, Syscall.LSTAT, Syscall.FSTAT, Syscall.NEWFSTATAT,
            Syscall.STATX, Syscall.ACCESS, Syscall.FACCESSAT, Syscall.FACCESSAT2, Syscall.EXECVE, Syscall.EXECVEAT,
            Syscall.CHMOD, Syscall.FCHMODAT, Syscall.FCHMODAT2, Syscall.FCHMOD, Syscall.OPEN, Syscall.OPENAT, Syscall.OPENAT2,
            Syscall.CREAT, Syscall.MKDIR, Syscall.MKDIRAT, Syscall.MKNOD, Syscall.MKNODAT, Syscall.SYMLINK,
            Syscall.SYMLINKAT);

    private final ViewConfig config;
    private final FileSystems fileSystems = new FileSystems();
    private final MountTable mounts = new MountTable();
    private final List<LoadedService> services = new ArrayList<>();
    private final ViewIdentity identity;
    private volatile Tracer tracer;
    private final java.util.Set<String> permanent = new java.util.HashSet<>();
    /** Whether the filter traps path calls, so services with file system types can be added. */
    private boolean pathsTrapped;

    private View(ViewConfig config) {
        this.config = config;
        this.identity = new ViewIdentity(ProcessHandle.current().pid() > Integer.MAX_VALUE ? 0
                : (int) ProcessHandle.current().pid(), config.viewName());
    }

    /**
     * Returns the pid of the kmview whose view this process runs in, or 0 outside any view. A
     * process of a view cannot start a view of its own, since its children are already traced.
     */
    public static int enclosingView() {
        long pid = new JnaLibc().syscall(ManagementCall.PING);
        return pid > 0 ? (int) pid : 0;
    }

    /**
     * Loads and starts the configured services.
     *
     * @throws ServiceLoadException if a service cannot be found, loaded or started; services
     *         already started are stopped again
     */
    public static View create(ViewConfig config) throws ServiceLoadException {
        View view = new View(config);
        try {
            for (ServiceSpec spec : config.services()) {
                view.start(spec);
            }
        } catch (ServiceLoadException e) {
            view.stopServices();
            throw e;
        }
        return view;
    }

    private void start(ServiceSpec spec) throws ServiceLoadException {
        LoadedService loaded = ServiceLayers.load(spec, config.servicesDirectory(), config.modulePath());
        String name = loaded.service().name();
        for (LoadedService other : services) {
            if (other.service().name().equals(name)) {
                throw new ServiceLoadException("service " + name + " from " + loaded.location()
                        + " is already loaded from " + other.location() + "; load each service once");
            }
        }
        ServiceContext context = new ServiceContext() {
            @Override
            public void registerFileSystem(FileSystemType type) {
                fileSystems.register(name, type);
            }

            @Override
            public void debug(String message) {
                Log.named("kmview.service." + name).debug(message);
            }

            @Override
            public void warn(String message) {
                Log.named("kmview.service." + name).warn("{}: {}", name, message);
            }

            @Override
            public String viewName() {
                return identity.name();
            }

            @Override
            public void addDeviceMount(String viewPath, org.kmview.spi.VirtualMount mount) {
                mounts.add(new MountTable.Entry(viewPath, DEVICE_TYPE, "none", name, mount));
                LOG.debug("service {} serves {}", name, viewPath);
            }

            @Override
            public void trapControlFileWrites(int pid) {
                Tracer running = tracer;
                if (running == null) {
                    throw new IllegalStateException("the view is not running");
                }
                running.trapCalls(pid, Tracer.TRAP_WRITES);
            }

            @Override
            public WaitOutcome serveUntil(java.util.function.BooleanSupplier condition,
                                          java.util.function.IntPredicate serves, java.time.Duration timeout) {
                Tracer running = tracer;
                if (running == null) {
                    throw new IllegalStateException("the view is not running");
                }
                return running.serveUntil(condition, serves, timeout.toNanos());
            }
        };
        try {
            loaded.service().start(context, spec.options());
        } catch (ServiceException e) {
            fileSystems.removeService(name);
            throw new ServiceLoadException("service " + name + " failed to start with options \""
                    + spec.options() + "\": " + e.getMessage()
                    + " (to load several services, give -p once for each)", e);
        } catch (RuntimeException e) {
            fileSystems.removeService(name);
            throw new ServiceLoadException("service " + name + " failed to start: " + e, e);
        }
        services.add(loaded);
        updateOrder();
        LOG.debug("started service {} from {}", name, loaded.location());
    }

    /**
     * Runs the program in the view on a new tracer thread and waits until it and every process
     * it started have ended. Then it stops the services.
     *
     * @return the program's exit status, or 128+N if signal N killed it
     */
    public int run() {
        Arch arch = Arch.host();
        SeccompFilter filter = filter(arch);
        AtomicInteger status = new AtomicInteger(-1);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread tracerThread = new Thread(() -> {
            try {
                Libc libc = new JnaLibc();
                Dispatcher dispatcher = new Dispatcher(arch, libc, mounts, fileSystems, identity, config.nesting());
                dispatcher.manageServicesWith(this);
                if (config.secure()) {
                    dispatcher.enableSecureMode();
                }
                tracer = new Tracer(new JnaPtrace(), libc, arch, dispatcher);
                Tracer running = tracer;
                running.setTrapFilter(Tracer.TRAP_WRITES, trapFilter(arch, Syscall.Kind.WRITE,
                        Syscall.Kind.CONTROL_READ).toBytes());
                running.setTrapFilter(Tracer.TRAP_CLOSES, trapFilter(arch, Syscall.Kind.SYNC).toBytes());
                running.setTrapFilter(Tracer.TRAP_SOCKET_NAMES, trapFilter(arch, Syscall.Kind.SOCKET_NAME).toBytes());
                dispatcher.trapWritesWith(tid -> running.trapCalls(tid, Tracer.TRAP_WRITES));
                dispatcher.trapClosesWith(tid -> running.trapCalls(tid, Tracer.TRAP_CLOSES));
                dispatcher.trapSocketNamesWith(tid -> running.trapCalls(tid, Tracer.TRAP_SOCKET_NAMES));
                String keepFds = config.keepFds().stream().map(String::valueOf).collect(Collectors.joining(","));
                List<String> rcFiles = config.rcFiles().stream().map(Path::toString).toList();
                status.set(tracer.run(config.execStub().toString(), rcFiles, config.program(),
                        config.environment(), keepFds, config.signalMasks(), filter));
                dispatcher.unmountAll();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "kmview-tracer");
        tracerThread.start();
        try {
            tracerThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the view was running", e);
        } finally {
            stopServices();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return status.get();
    }

    /**
     * Sends {@code signal} to every process of the view, the program first, as a machine that
     * shuts down signals all its processes. A process that started or ended meanwhile may be
     * missed or signalled in vain.
     */
    public void signalView(int signal) {
        Tracer running = tracer;
        if (running == null || running.programPid() <= 0) {
            return;
        }
        JnaLibc libc = new JnaLibc();
        int program = running.programPid();
        libc.kill(program, signal);
        java.util.Set<Integer> processes = new java.util.TreeSet<>();
        for (int thread : running.threads()) {
            int process = processOf(thread);
            if (process > 0 && process != program) {
                processes.add(process);
            }
        }
        for (int process : processes) {
            libc.kill(process, signal);
        }
        LOG.debug("sent signal {} to the program {} and {} other processes of the view", signal, program,
                processes.size());
    }

    /** Sends {@code signal} to the program alone, as if kmview's caller had sent it to the program. */
    public void signalProgram(int signal) {
        Tracer running = tracer;
        if (running == null || running.programPid() <= 0) {
            return;
        }
        new JnaLibc().kill(running.programPid(), signal);
        LOG.debug("sent signal {} to the program {}", signal, running.programPid());
    }

    /** Returns the process (thread group) of a thread, from /proc, or 0 if it ended. */
    private static int processOf(int thread) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + thread + "/status"))) {
                if (line.startsWith("Tgid:")) {
                    return Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // The thread ended.
        }
        return 0;
    }

    @Override
    public Errno add(String text, boolean makePermanent) {
        ServiceSpec spec;
        try {
            spec = ServiceSpec.parse(text);
        } catch (IllegalArgumentException e) {
            LOG.warn("um_add_service {}: {}", text, e.getMessage());
            return Errno.EINVAL;
        }
        for (LoadedService other : services) {
            if (other.service().name().equals(spec.location())) {
                LOG.warn("um_add_service: service {} is already loaded", spec.location());
                return Errno.EEXIST;
            }
        }
        int before = services.size();
        try {
            start(spec);
        } catch (ServiceLoadException e) {
            LOG.warn("um_add_service: {}", e.getMessage());
            if (e.getCause() instanceof ServiceException rejected) {
                // The service was found and refused to start: the caller gets its errno.
                return rejected.errno();
            }
            return e.getMessage().contains("already loaded") ? Errno.EEXIST : Errno.ENOENT;
        }
        LoadedService added = services.get(before);
        String name = added.service().name();
        if (!pathsTrapped && fileSystems.hasTypes(name)) {
            // Every process of the view now needs mount and the path calls trapped.
            tracer.addFilter(filter(Arch.host(), true, false).toBytes());
            pathsTrapped = true;
        }
        if (makePermanent) {
            permanent.add(name);
        }
        LOG.debug("um_add_service: added {}", name);
        return null;
    }

    @Override
    public Errno remove(String name) {
        LoadedService loaded = find(name);
        if (loaded == null) {
            LOG.warn("um_del_service: no service {} is loaded", name);
            return Errno.ENOENT;
        }
        if (permanent.contains(name)) {
            LOG.warn("um_del_service: service {} is permanent", name);
            return Errno.EPERM;
        }
        List<String> busy = mounts.entries().stream()
                .filter(entry -> entry.service().equals(name) && !entry.type().equals(DEVICE_TYPE))
                .map(MountTable.Entry::mountPoint)
                .collect(Collectors.toList());
        if (!busy.isEmpty()) {
            LOG.warn("um_del_service: service {} still has mounts at {}; unmount them first with viewumount",
                    name, String.join(", ", busy));
            return Errno.EBUSY;
        }
        for (MountTable.Entry device : mounts.entries()) {
            if (device.service().equals(name)) {
                mounts.remove(device.mountPoint());
                device.mount().unmount();
            }
        }
        services.remove(loaded);
        stopService(loaded);
        updateOrder();
        LOG.debug("um_del_service: removed {}", name);
        return null;
    }

    @Override
    public Errno move(String name, int position) {
        LoadedService loaded = find(name);
        if (loaded == null) {
            LOG.warn("um_mov_service: no service {} is loaded", name);
            return Errno.ENOENT;
        }
        if (position < 1) {
            LOG.warn("um_mov_service: invalid position {}; positions start at 1", position);
            return Errno.EINVAL;
        }
        services.remove(loaded);
        services.add(Math.min(position - 1, services.size()), loaded);
        updateOrder();
        return null;
    }

    @Override
    public List<String> list() {
        return services.stream().map(service -> service.service().name() + ": " + service.service().description())
                .toList();
    }

    /** Gives the services' order of precedence to the file system types and the mount table. */
    private void updateOrder() {
        List<String> order = services.stream().map(service -> service.service().name()).toList();
        fileSystems.setOrder(order);
        mounts.setServiceOrder(order);
    }

    private LoadedService find(String name) {
        return services.stream().filter(service -> service.service().name().equals(name)).findFirst().orElse(null);
    }

    /** Stops a service and removes its types, so nothing in the view refers to its module layer. */
    private void stopService(LoadedService loaded) {
        fileSystems.removeService(loaded.service().name());
        try {
            loaded.service().stop();
        } catch (RuntimeException e) {
            LOG.error("service {} failed to stop", loaded.service().name(), e);
        }
    }

    /** Builds the filter: the management calls always, and what the loaded services and secure mode claim. */
    private SeccompFilter filter(Arch arch) {
        pathsTrapped = !fileSystems.isEmpty();
        return filter(arch, pathsTrapped, config.secure());
    }

    /**
     * Builds a filter that traps the management calls, the path calls if {@code paths}, and the
     * calls of {@link #SECURE_MODE_CALLS} and the credential calls if {@code secure}.
     */
    private static SeccompFilter filter(Arch arch, boolean paths, boolean secure) {
        SeccompFilter filter = new SeccompFilter(arch.auditArch())
                .trapReserved(ManagementCall.BASE - ManagementCall.COUNT + 1, ManagementCall.BASE);
        if (secure) {
            for (Syscall syscall : Syscall.values()) {
                if (syscall.kind() == Syscall.Kind.CREDENTIALS || SECURE_MODE_CALLS.contains(syscall)) {
                    arch.number(syscall).ifPresent(filter::trap);
                }
            }
        }
        if (!paths) {
            return secure ? filter.foreign(SeccompFilter.SECCOMP_RET_ERRNO | Errno.ENOSYS.number(),
                    arch.foreignSyscallBit()) : filter;
        }
        for (Syscall syscall : Syscall.values()) {
            if (syscall.kind() != Syscall.Kind.NONE && syscall.kind() != Syscall.Kind.WRITE
                    && syscall.kind() != Syscall.Kind.CONTROL_READ && syscall.kind() != Syscall.Kind.SYNC
                    && syscall.kind() != Syscall.Kind.SOCKET_NAME && syscall.kind() != Syscall.Kind.CREDENTIALS) {
                arch.number(syscall).ifPresent(filter::trap);
            }
        }
        // NOTE: 32-bit and x32 syscalls fail with ENOSYS while a path service is active, since
        // only the native table is translated.
        return filter.foreign(SeccompFilter.SECCOMP_RET_ERRNO | Errno.ENOSYS.number(), arch.foreignSyscallBit());
    }

    /**
     * Returns a per-process trap filter: the calls of {@code kinds} stop at the tracer. A process
     * that opens a control file adds the one of writes and control reads. A process that opens a
     * file for writing on a mount that syncs files adds the one of closes and syncs.
     */
    private static SeccompFilter trapFilter(Arch arch, Syscall.Kind... kinds) {
        java.util.Set<Syscall.Kind> trapped = java.util.EnumSet.copyOf(List.of(kinds));
        SeccompFilter filter = new SeccompFilter(arch.auditArch());
        for (Syscall syscall : Syscall.values()) {
            if (trapped.contains(syscall.kind())) {
                arch.number(syscall).ifPresent(filter::trap);
            }
        }
        return filter;
    }

    private void stopServices() {
        for (int i = services.size() - 1; i >= 0; i--) {
            stopService(services.get(i));
        }
        services.clear();
    }
}
