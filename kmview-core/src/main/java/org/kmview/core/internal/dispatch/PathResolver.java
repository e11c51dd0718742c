package org.kmview.core.internal.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.spi.Errno;

/**
 * Resolves paths the way the kernel would, but in the view: component by component, following
 * symbolic links (at most 40), with {@code ..} leaving a mount point to its parent in the view,
 * and with /proc/self, /proc/PID/cwd, /proc/PID/fd/N and /proc/PID/exe read for the traced
 * process and shown in view terms.
 *
 * <p>Owned by the tracer thread. Paths are byte strings (one char per byte).
 */
public final class PathResolver {

    /** AT_FDCWD. */
    public static final int AT_FDCWD = -100;

    private static final int MAX_SYMLINKS = 40;
    private static final String DELETED = " (deleted)";

    private final Libc libc;
    private final MountTable mounts;

    /** Creates a resolver that reads the host file system through {@code libc}. */
    public PathResolver(Libc libc, MountTable mounts) {
        this.libc = libc;
        this.mounts = mounts;
    }

    /** The outcome of resolving one path argument. */
    public static final class Resolution {
        /** The canonical view path, or null when the kernel must resolve it (see {@link #translated}). */
        String viewPath;
        /** The host path to hand to the kernel. */
        String hostPath;
        /** Whether the view changed anything, so the argument must be rewritten to {@link #hostPath}. */
        boolean translated;
        /** An error to return instead of running the syscall, or null. */
        Errno error;
        /** The view path of the directory a relative path started from, or "/" for an absolute one. */
        String startPath;
        boolean followedSymlink;
        boolean followedMagicLink;
        /** Whether the last component is a /proc magic link that was not followed. */
        boolean lastIsMagicLink;

        /** Returns the canonical view path, or null if the path was left to the kernel. */
        public String viewPath() {
            return viewPath;
        }

        /** Returns the host path for the kernel. */
        public String hostPath() {
            return hostPath;
        }

        /** Returns whether the argument must be rewritten to {@link #hostPath()}. */
        public boolean translated() {
            return translated;
        }

        /** Returns the error to fail the syscall with, or null. */
        public Errno error() {
            return error;
        }
    }

    /**
     * Resolves {@code path} for thread {@code tid} of process {@code tgid}.
     *
     * @param dirfd the directory fd a relative path starts from, or {@link #AT_FDCWD}
     * @param followLast whether a symbolic link in the last component is followed
     */
    public Resolution resolve(int tid, int tgid, int dirfd, String path, boolean followLast) {
        return resolve(tid, tgid, dirfd, path, followLast, Scope.NONE);
    }

    /** The limit on leaving the start directory, as openat2's RESOLVE_* flags set it. */
    public enum Scope {
        /** Anywhere. */
        NONE,
        /** RESOLVE_BENEATH: leaving the start directory fails with EXDEV. */
        BENEATH,
        /** RESOLVE_IN_ROOT: the start directory acts as the root directory. */
        IN_ROOT
    }

    /**
     * Resolves {@code path} as {@link #resolve(int, int, int, String, boolean)} does, confined to
     * the start directory as {@code scope} requires.
     */
    public Resolution resolve(int tid, int tgid, int dirfd, String path, boolean followLast, Scope scope) {
        Resolution result = new Resolution();
        if (path.isEmpty()) {
            // AT_EMPTY_PATH works on the fd itself; without it the kernel fails with ENOENT.
            result.hostPath = path;
            return result;
        }
        boolean trailingSlash = path.length() > 1 && path.endsWith("/");
        boolean follow = followLast || trailingSlash;

        List<String> stack = new ArrayList<>();
        boolean absolute = path.charAt(0) == '/';
        if (absolute && scope == Scope.BENEATH) {
            result.error = Errno.EXDEV;
            return result;
        }
        // The kernel's own walk of the unchanged argument runs alongside: while every view path
        // maps to where the kernel would be, the argument needs no rewrite.
        String kernel = "/";
        if (!absolute || scope == Scope.IN_ROOT) {
            String hostStart = libc.readlink(dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + dirfd);
            if (hostStart == null || !hostStart.startsWith("/")) {
                // A bad or non-directory fd: the kernel reports EBADF or ENOTDIR itself.
                result.hostPath = path;
                return result;
            }
            MountTable.ViewName startName = mounts.toView(hostStart);
            String startView = startName.viewPath();
            // toView names a host path through a mount only where that view path maps back to it,
            // so only a start shown by its host name can be hidden.
            MountTable.Mapped start = startName.viaMount() ? null : mounts.map(startView);
            if (start != null && start.hidden()) {
                // A directory that is hidden in the view is gone, as a removed cwd is.
                result.error = start.error();
                return result;
            }
            push(stack, startView);
            kernel = hostStart;
        }
        result.startPath = toPath(stack);
        List<String> root = scope == Scope.NONE ? List.of() : List.copyOf(stack);
        String kernelRoot = kernel;

        Deque<String> pending = new ArrayDeque<>();
        push(pending, path);
        int links = 0;
        while (!pending.isEmpty()) {
            String component = pending.pollFirst();
            boolean last = pending.isEmpty();
            if (component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                if (stack.size() <= root.size() && scope != Scope.NONE) {
                    // IN_ROOT keeps ".." at its root, as the kernel does; BENEATH refuses to climb out.
                    if (scope == Scope.BENEATH) {
                        result.error = Errno.EXDEV;
                        return result;
                    }
                    continue;
                }
                if (!stack.isEmpty()) {
                    stack.remove(stack.size() - 1);
                }
                kernel = MountTable.parent(kernel);
                continue;
            }
            String name = procAlias(stack, component, tid, tgid);
            push(stack, name);
            kernel = MountTable.join(kernel, name);
            if (last && !follow) {
                result.lastIsMagicLink = isMagicLink(stack);
                break;
            }

            String viewPath = toPath(stack);
            MountTable.Mapped mapped = mounts.map(viewPath);
            if (mapped.hidden()) {
                result.error = mapped.error();
                return result;
            }
            result.translated |= !mapped.hostPath().equals(kernel);
            int mode = libc.lstatMode(mapped.hostPath());
            if (mode < 0) {
                if (!last && mounts.hasMountBelow(viewPath)) {
                    // A mount point below a missing directory: the view goes on to it.
                    continue;
                }
                // Missing or unreadable: the kernel reports it on the host path with the rest.
                return finish(result, stack, pending, trailingSlash, kernel);
            }
            if ((mode & Libc.S_IFMT) == Libc.S_IFLNK) {
                if (++links > MAX_SYMLINKS) {
                    result.error = Errno.ELOOP;
                    return result;
                }
                String target = libc.readlink(mapped.hostPath());
                if (target == null) {
                    return finish(result, stack, pending, trailingSlash, kernel);
                }
                if (isMagicLink(stack)) {
                    if (!target.startsWith("/") || target.endsWith(DELETED)) {
                        // pipe:[N], anon_inode:..., a deleted file: the kernel reaches the object
                        // through the link itself.
                        return finish(result, stack, pending, trailingSlash, kernel);
                    }
                    if (scope != Scope.NONE) {
                        // The kernel never follows a magic link in a scoped lookup.
                        result.error = Errno.EXDEV;
                        return result;
                    }
                    result.followedMagicLink = true;
                    stack.clear();
                    push(stack, mounts.toView(target).viewPath());
                    kernel = target;
                    continue;
                }
                result.followedSymlink = true;
                stack.remove(stack.size() - 1);
                kernel = MountTable.parent(kernel);
                if (target.startsWith("/")) {
                    if (scope == Scope.BENEATH) {
                        result.error = Errno.EXDEV;
                        return result;
                    }
                    stack.clear();
                    stack.addAll(root);
                    kernel = kernelRoot;
                }
                List<String> targetComponents = new ArrayList<>();
                push(targetComponents, target);
                for (int i = targetComponents.size() - 1; i >= 0; i--) {
                    pending.addFirst(targetComponents.get(i));
                }
                continue;
            }
            if (!last && (mode & Libc.S_IFMT) != Libc.S_IFDIR) {
                // "file/x" or "file/..": the kernel fails with ENOTDIR on the host path.
                return finish(result, stack, pending, trailingSlash, kernel);
            }
        }
        return finish(result, stack, new ArrayDeque<>(), trailingSlash, kernel);
    }

    private Resolution finish(Resolution result, List<String> stack, Deque<String> unresolved, boolean trailingSlash,
                              String kernel) {
        String resolved = toPath(stack);
        // Components the walk did not reach (below a missing one) complete the view path as text.
        List<String> lexical = new ArrayList<>(stack);
        for (String component : unresolved) {
            if (component.equals("..")) {
                if (!lexical.isEmpty()) {
                    lexical.remove(lexical.size() - 1);
                }
            } else if (!component.equals(".")) {
                lexical.add(component);
            }
        }
        result.viewPath = toPath(lexical);
        MountTable.Mapped mapped = mounts.map(resolved);
        if (mapped.hidden()) {
            result.error = mapped.error();
            return result;
        }
        result.translated |= !mapped.hostPath().equals(kernel);
        StringBuilder host = new StringBuilder(mapped.hostPath());
        for (String component : unresolved) {
            if (host.length() > 1) {
                host.append('/');
            }
            host.append(component);
        }
        if (trailingSlash && host.length() > 1) {
            host.append('/');
        }
        result.hostPath = host.toString();
        return result;
    }

    /** Replaces /proc/self with the process and /proc/thread-self with the thread of the tracee. */
    private static String procAlias(List<String> stack, String component, int tid, int tgid) {
        if (stack.size() != 1 || !stack.get(0).equals("proc")) {
            return component;
        }
        if (component.equals("self")) {
            return Integer.toString(tgid);
        }
        if (component.equals("thread-self")) {
            return tgid + "/task/" + tid;
        }
        return component;
    }

    /** Returns whether the path is /proc/PID/{cwd,root,exe} or /proc/PID/fd/N, also below task/TID. */
    static boolean isMagicLink(List<String> stack) {
        int size = stack.size();
        if (size < 3 || !stack.get(0).equals("proc")) {
            return false;
        }
        String name = stack.get(size - 1);
        String parent = stack.get(size - 2);
        if (parent.equals("fd")) {
            return size == 4 || (size == 6 && stack.get(2).equals("task"));
        }
        boolean processLevel = size == 3 || (size == 5 && stack.get(2).equals("task"));
        return processLevel && (name.equals("cwd") || name.equals("root") || name.equals("exe"));
    }

    /** Appends the components of {@code path}, skipping empty ones (from "//" and the leading "/"). */
    private static void push(Collection<String> into, String path) {
        for (String component : path.split("/")) {
            if (!component.isEmpty()) {
                into.add(component);
            }
        }
    }

    private static String toPath(List<String> stack) {
        if (stack.isEmpty()) {
            return "/";
        }
        StringBuilder path = new StringBuilder();
        for (String component : stack) {
            path.append('/').append(component);
        }
        return path.toString();
    }
}
