package org.kmview.core.internal.dispatch;

import static org.kmview.core.internal.dispatch.StatResults.STATX_DEV_MAJOR;
import static org.kmview.core.internal.dispatch.StatResults.STATX_DEV_MINOR;
import static org.kmview.core.internal.dispatch.StatResults.STATX_GID;
import static org.kmview.core.internal.dispatch.StatResults.STATX_INO;
import static org.kmview.core.internal.dispatch.StatResults.STATX_SIZE;
import static org.kmview.core.internal.dispatch.StatResults.STATX_UID;
import static org.kmview.core.internal.dispatch.StatResults.STAT_DEV;
import static org.kmview.core.internal.dispatch.StatResults.STAT_GID;
import static org.kmview.core.internal.dispatch.StatResults.STAT_INO;
import static org.kmview.core.internal.dispatch.StatResults.STAT_SIZE;
import static org.kmview.core.internal.dispatch.StatResults.STAT_UID;
import static org.kmview.core.internal.dispatch.StatResults.majorOf;
import static org.kmview.core.internal.dispatch.StatResults.minorOf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.kmview.core.Log;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.Errno;

/**
 * Secure mode ({@code kmview -s}): the user and group ids of the view's processes, kept by kmview,
 * and the owners of files in the view.
 *
 * <p>The program starts as root of the view: every uid and gid 0, and the single supplementary
 * group 0. The credential calls (getuid to setgroups) never reach the kernel. They read or change
 * the calling thread's credentials under the kernel's rules, where a thread whose effective uid is
 * 0 has CAP_SETUID, CAP_SETGID and CAP_CHOWN and any other thread has none of them. A new thread
 * or process starts with the credentials of the thread that created it.
 *
 * <p>A file's owner in the view is the one recorded for its device and inode, or else its owner on
 * the host, with kmview's own user and group shown as root's. chown by root of the view that the
 * kernel rejects with EPERM is recorded instead, files created by a thread that is not root of
 * the view are recorded as its own, and every stat call shows the view's owners. chown and chmod
 * by other threads follow the kernel's rules against those owners.
 *
 * <p>NOTE: the kernel still checks file access against the user who started kmview, whatever the
 * view's ids are: root of the view cannot read a file that user cannot read, and a thread that
 * set its ids to another user still has that user's access. Recorded owners stay with an inode
 * number after its file is removed and last as long as the view.
 */
final class SecureMode {

    private static final Log LOG = Log.of(SecureMode.class);

    /** The kernel's NGROUPS_MAX: the most supplementary groups a process may have. */
    private static final int MAX_GROUPS = 65536;
    /** An id argument that leaves the id unchanged: (uid_t) -1. */
    private static final int UNCHANGED = -1;
    private static final long AT_FDCWD = -100;
    private static final long AT_SYMLINK_NOFOLLOW = 0x100;
    private static final long AT_EMPTY_PATH = 0x1000;
    private static final long AT_EACCESS = 0x200;
    private static final int W_OK = 2;
    private static final long S_ISUID = 04000;
    private static final long S_ISGID = 02000;
    private static final long S_IXGRP = 00010;
    private static final long S_IFMT = 0170000;
    private static final long S_IFREG = 0100000;
    private static final long O_CREAT = 0100;
    /** The bit of O_TMPFILE that O_DIRECTORY lacks (__O_TMPFILE). */
    private static final long O_TMPFILE_BIT = 020000000;
    private static final long S_IFDIR = 0040000;
    /** Size of struct open_how (flags, mode, resolve) as Linux 5.6 defined it. */
    private static final int OPEN_HOW_SIZE = 24;
    private static final long RESOLVE_IN_ROOT = 0x10;


    private final Libc libc;
    /** kmview's own user and group on the host, which the view shows as root's. */
    private final long hostUid;
    private final long hostGid;
    private final Map<Integer, Credentials> byThread = new HashMap<>();
    /** Owners given in the view, by file: {device major, device minor, inode}. */
    private final Map<List<Long>, long[]> owners = new HashMap<>();

    SecureMode(Libc libc) {
        this(libc, hostId("unix:uid"), hostId("unix:gid"));
    }

    SecureMode(Libc libc, long hostUid, long hostGid) {
        this.libc = libc;
        this.hostUid = hostUid;
        this.hostGid = hostGid;
    }

    /** Returns an id of kmview's own process: the owner of /proc/self, which is the process's effective id. */
    private static long hostId(String attribute) {
        try {
            return ((Integer) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), attribute))
                    & 0xffffffffL;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read kmview's own ids from /proc/self", e);
        }
    }

    /** The ids of one thread, as the kernel's struct cred has them. */
    static final class Credentials {
        int realUid;
        int effectiveUid;
        int savedUid;
        int fsUid;
        int realGid;
        int effectiveGid;
        int savedGid;
        int fsGid;
        int[] groups = {0};

        Credentials copy() {
            Credentials copy = new Credentials();
            copy.realUid = realUid;
            copy.effectiveUid = effectiveUid;
            copy.savedUid = savedUid;
            copy.fsUid = fsUid;
            copy.realGid = realGid;
            copy.effectiveGid = effectiveGid;
            copy.savedGid = savedGid;
            copy.fsGid = fsGid;
            copy.groups = groups.clone();
            return copy;
        }

        /** Returns whether the thread has CAP_SETUID, CAP_SETGID and CAP_CHOWN in the view. */
        boolean privileged() {
            return effectiveUid == 0;
        }

        /**
         * Returns whether the thread has CAP_CHOWN and CAP_FOWNER: the kernel drops the file
         * system capabilities when the fsuid leaves 0 and raises them when it returns to 0
         * (cap_task_fix_setuid), so they follow the fsuid, not the effective uid.
         */
        boolean fileCapable() {
            return fsUid == 0 && (realUid == 0 || effectiveUid == 0 || savedUid == 0);
        }
    }

    /**
     * Returns the credentials of thread {@code tid}. A new thread can make its first call before
     * the tracer handles the fork or clone event of its creator. So a thread not seen before gets a
     * copy of its thread group leader's credentials, or else of its parent process's. A thread
     * with neither known is the program itself, root.
     */
    Credentials credentials(int tid) {
        Credentials known = byThread.get(tid);
        if (known != null) {
            return known;
        }
        Credentials created = null;
        int[] ids = groupAndParent(tid);
        if (ids != null) {
            Credentials creator = ids[0] != tid ? byThread.get(ids[0]) : byThread.get(ids[1]);
            created = creator != null ? creator.copy() : null;
        }
        if (created == null) {
            created = new Credentials();
        }
        byThread.put(tid, created);
        return created;
    }

    /** Gives a new thread or process the credentials of the thread that created it, unless it has some already. */
    void inherit(int parent, int child) {
        if (!byThread.containsKey(child)) {
            byThread.put(child, credentials(parent).copy());
        }
    }

    /** Returns {thread group id, parent pid} of thread {@code tid} from /proc, or null if it is gone. */
    private static int[] groupAndParent(int tid) {
        int group = 0;
        int parent = 0;
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + tid + "/status"),
                    java.nio.charset.StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("Tgid:")) {
                    group = Integer.parseInt(line.substring(5).trim());
                } else if (line.startsWith("PPid:")) {
                    parent = Integer.parseInt(line.substring(5).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            LOG.debug("[{}] cannot read the thread's group and parent: {}", tid, e.getMessage());
            return null;
        }
        return group == 0 ? null : new int[] {group, parent};
    }

    /** Forgets a thread that ended. */
    void forget(int tid) {
        byThread.remove(tid);
    }

    /** Serves a credential call from the view's ids; the kernel never runs it. */
    void serve(SyscallStop stop, Syscall syscall) {
        int tid = stop.tracee().tid();
        Credentials ids = credentials(tid);
        long result = switch (syscall) {
            case GETUID -> Integer.toUnsignedLong(ids.realUid);
            case GETEUID -> Integer.toUnsignedLong(ids.effectiveUid);
            case GETGID -> Integer.toUnsignedLong(ids.realGid);
            case GETEGID -> Integer.toUnsignedLong(ids.effectiveGid);
            case GETRESUID -> writeIds(stop, ids.realUid, ids.effectiveUid, ids.savedUid);
            case GETRESGID -> writeIds(stop, ids.realGid, ids.effectiveGid, ids.savedGid);
            case GETGROUPS -> getGroups(stop, ids);
            case SETGROUPS -> setGroups(stop, ids);
            case SETUID -> setUid(ids, id(stop, 0), true);
            case SETGID -> setUid(ids, id(stop, 0), false);
            case SETREUID -> setReal(ids, id(stop, 0), id(stop, 1), true);
            case SETREGID -> setReal(ids, id(stop, 0), id(stop, 1), false);
            case SETRESUID -> setAll(ids, id(stop, 0), id(stop, 1), id(stop, 2), true);
            case SETRESGID -> setAll(ids, id(stop, 0), id(stop, 1), id(stop, 2), false);
            case SETFSUID -> setFs(ids, id(stop, 0), true);
            case SETFSGID -> setFs(ids, id(stop, 0), false);
            default -> -Errno.ENOSYS.number();
        };
        LOG.trace("[{}] {} -> {}", tid, syscall, result);
        stop.skip(result);
    }

    private static int id(SyscallStop stop, int index) {
        return (int) stop.argument(index);
    }

    private static long writeIds(SyscallStop stop, int real, int effective, int saved) {
        int[] values = {real, effective, saved};
        for (int i = 0; i < values.length; i++) {
            byte[] raw = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(values[i]).array();
            if (!stop.write(stop.argument(i), raw)) {
                return -Errno.EFAULT.number();
            }
        }
        return 0;
    }

    private static long getGroups(SyscallStop stop, Credentials ids) {
        int size = (int) stop.argument(0);
        int count = ids.groups.length;
        if (size < 0) {
            return -Errno.EINVAL.number();
        }
        if (size == 0) {
            return count;
        }
        if (size < count) {
            return -Errno.EINVAL.number();
        }
        ByteBuffer list = ByteBuffer.allocate(4 * count).order(ByteOrder.nativeOrder());
        for (int group : ids.groups) {
            list.putInt(group);
        }
        return stop.write(stop.argument(1), list.array()) ? count : -Errno.EFAULT.number();
    }

    private static long setGroups(SyscallStop stop, Credentials ids) {
        int size = (int) stop.argument(0);
        if (!ids.privileged()) {
            return -Errno.EPERM.number();
        }
        if (size < 0 || size > MAX_GROUPS) {
            return -Errno.EINVAL.number();
        }
        int[] groups = new int[size];
        if (size > 0) {
            byte[] raw = stop.read(stop.argument(1), 4 * size);
            if (raw == null) {
                return -Errno.EFAULT.number();
            }
            ByteBuffer list = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            for (int i = 0; i < size; i++) {
                groups[i] = list.getInt();
                if (groups[i] == UNCHANGED) {
                    // (gid_t) -1 is no valid group: groups_from_user() fails with EINVAL.
                    return -Errno.EINVAL.number();
                }
            }
        }
        // The kernel keeps the list sorted, and getgroups returns it so.
        Arrays.sort(groups);
        ids.groups = groups;
        return 0;
    }

    /** setuid and setgid: all ids with the capability, else only the effective one to the real or saved. */
    static long setUid(Credentials ids, int value, boolean user) {
        if (value == UNCHANGED) {
            return -Errno.EINVAL.number();
        }
        int real = user ? ids.realUid : ids.realGid;
        int saved = user ? ids.savedUid : ids.savedGid;
        if (ids.privileged()) {
            store(ids, user, value, value, value);
        } else if (value == real || value == saved) {
            store(ids, user, real, value, saved);
        } else {
            return -Errno.EPERM.number();
        }
        return 0;
    }

    /** setreuid and setregid, with the kernel's rule for when the saved id follows the effective one. */
    static long setReal(Credentials ids, int real, int effective, boolean user) {
        int oldReal = user ? ids.realUid : ids.realGid;
        int oldEffective = user ? ids.effectiveUid : ids.effectiveGid;
        int oldSaved = user ? ids.savedUid : ids.savedGid;
        boolean privileged = ids.privileged();
        if (real != UNCHANGED && !privileged && real != oldReal && real != oldEffective) {
            return -Errno.EPERM.number();
        }
        if (effective != UNCHANGED && !privileged && effective != oldReal && effective != oldEffective
                && effective != oldSaved) {
            return -Errno.EPERM.number();
        }
        int newReal = real != UNCHANGED ? real : oldReal;
        int newEffective = effective != UNCHANGED ? effective : oldEffective;
        boolean savedFollows = real != UNCHANGED || (effective != UNCHANGED && effective != oldReal);
        store(ids, user, newReal, newEffective, savedFollows ? newEffective : oldSaved);
        return 0;
    }

    /** setresuid and setresgid: without the capability, each new id must be one of the three old ones. */
    static long setAll(Credentials ids, int real, int effective, int saved, boolean user) {
        int oldReal = user ? ids.realUid : ids.realGid;
        int oldEffective = user ? ids.effectiveUid : ids.effectiveGid;
        int oldSaved = user ? ids.savedUid : ids.savedGid;
        int oldFs = user ? ids.fsUid : ids.fsGid;
        boolean effectiveKept = effective == UNCHANGED || effective == oldEffective && effective == oldFs;
        if ((real == UNCHANGED || real == oldReal) && effectiveKept
                && (saved == UNCHANGED || saved == oldSaved)) {
            // The kernel returns early for a call that changes nothing, and keeps the fsuid.
            return 0;
        }
        if (!ids.privileged()) {
            for (int value : new int[] {real, effective, saved}) {
                if (value != UNCHANGED && value != oldReal && value != oldEffective && value != oldSaved) {
                    return -Errno.EPERM.number();
                }
            }
        }
        store(ids, user, real != UNCHANGED ? real : oldReal, effective != UNCHANGED ? effective : oldEffective,
                saved != UNCHANGED ? saved : oldSaved);
        return 0;
    }

    /** setfsuid and setfsgid: return the old id, and change it where permitted. */
    static long setFs(Credentials ids, int value, boolean user) {
        int old = user ? ids.fsUid : ids.fsGid;
        int real = user ? ids.realUid : ids.realGid;
        int effective = user ? ids.effectiveUid : ids.effectiveGid;
        int saved = user ? ids.savedUid : ids.savedGid;
        boolean permitted = ids.privileged() || value == real || value == effective || value == saved || value == old;
        if (value != UNCHANGED && permitted) {
            if (user) {
                ids.fsUid = value;
            } else {
                ids.fsGid = value;
            }
        }
        return Integer.toUnsignedLong(old);
    }

    /** Stores new real, effective and saved ids; the file system id follows the effective one, as in the kernel. */
    private static void store(Credentials ids, boolean user, int real, int effective, int saved) {
        if (user) {
            ids.realUid = real;
            ids.effectiveUid = effective;
            ids.savedUid = saved;
            ids.fsUid = effective;
        } else {
            ids.realGid = real;
            ids.effectiveGid = effective;
            ids.savedGid = saved;
            ids.fsGid = effective;
        }
    }

    /**
     * Runs after the dispatcher served a call: applies the view's owner rules to chown and chmod,
     * records the owners of files that a thread other than root of the view creates, and shows
     * the view's owners in stat results.
     *
     * @param run the call the kernel runs: {@code syscall}, or the one a mount replaced it with
     * @param statBuffer the index of a stat call's buffer argument, or -1
     */
    void afterDispatch(SyscallStop stop, Syscall syscall, Syscall run, int statBuffer) {
        switch (syscall) {
            case CHOWN, LCHOWN, FCHOWNAT, FCHOWN -> arrangeChown(stop, syscall, run);
            case OPEN, OPENAT, OPENAT2, CREAT, MKDIR, MKDIRAT, MKNOD, MKNODAT, SYMLINK, SYMLINKAT ->
                    arrangeCreate(stop, syscall);
            case EXECVE, EXECVEAT -> arrangeExec(stop, syscall);
            case STAT, LSTAT, FSTAT, NEWFSTATAT, STATX -> {
                if (statBuffer >= 0) {
                    arrangeOwnerPatch(stop, syscall == Syscall.STATX, stop.argument(statBuffer));
                }
            }
            default -> {
            }
        }
    }

    /** A file a call names, as the tracer reaches it. */
    private record Target(String file, boolean follow) {
    }

    /**
     * Returns the file that a chown or chmod call changes, as the kernel gets the call
     * ({@link SyscallStop#kernelArgument}), or null if its path cannot be read.
     */
    private static Target target(SyscallStop stop, Syscall syscall, int tid) {
        return switch (syscall) {
            case CHOWN, CHMOD -> target(stop, tid, AT_FDCWD, stop.kernelArgument(0), 0);
            case LCHOWN -> target(stop, tid, AT_FDCWD, stop.kernelArgument(0), AT_SYMLINK_NOFOLLOW);
            case FCHOWNAT -> target(stop, tid, (int) stop.kernelArgument(0), stop.kernelArgument(1),
                    stop.kernelArgument(4));
            case FCHMODAT -> target(stop, tid, (int) stop.kernelArgument(0), stop.kernelArgument(1), 0);
            case FCHMODAT2 -> target(stop, tid, (int) stop.kernelArgument(0), stop.kernelArgument(1),
                    stop.kernelArgument(3));
            default -> new Target("/proc/" + tid + "/fd/" + (int) stop.kernelArgument(0), true);
        };
    }

    /**
     * Returns false when a chown or chmod breaks the rules for a thread without CAP_CHOWN and
     * CAP_FOWNER against the view's owners. The dispatcher then fails it with EPERM before any
     * mount copies the file up or passes the change to a FUSE daemon.
     *
     * @param hostPaths the host path that a call's first path argument reaches in the view, or null
     */
    boolean permits(SyscallStop stop, Syscall syscall,
                    java.util.function.BiFunction<SyscallStop, Syscall, String> hostPaths) {
        boolean chown = syscall == Syscall.CHOWN || syscall == Syscall.LCHOWN || syscall == Syscall.FCHOWNAT
                || syscall == Syscall.FCHOWN;
        boolean chmod = syscall == Syscall.CHMOD || syscall == Syscall.FCHMODAT || syscall == Syscall.FCHMODAT2
                || syscall == Syscall.FCHMOD;
        int tid = stop.tracee().tid();
        if (!(chown || chmod) || credentials(tid).fileCapable()) {
            return true;
        }
        Target target = target(stop, syscall, tid);
        if (target == null) {
            return true;
        }
        String file = target.file();
        if (!file.startsWith("/proc/" + tid + "/fd/")) {
            // The path as the view resolves it, through its mounts.
            file = hostPaths.apply(stop, syscall);
        }
        long[] found = file == null ? null : libc.fileOwner(file, target.follow());
        if (found == null) {
            // The kernel reports a missing file or a bad descriptor itself.
            return true;
        }
        Credentials ids = credentials(tid);
        long[] owner = viewOwner(found);
        if (chmod) {
            return Integer.toUnsignedLong(ids.fsUid) == owner[0];
        }
        boolean at = syscall == Syscall.FCHOWNAT;
        return chownPermitted(ids, owner, id(stop, at ? 2 : 1), id(stop, at ? 3 : 2));
    }

    private static Target target(SyscallStop stop, int tid, long dirfd, long pathAddress, long flags) {
        String path = stop.readString(pathAddress);
        if (path != null && path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
            return new Target("/proc/" + tid + "/fd/" + (int) dirfd, true);
        }
        String file = hostPath(stop, tid, dirfd, pathAddress);
        return file == null ? null : new Target(file, (flags & AT_SYMLINK_NOFOLLOW) == 0);
    }

    /**
     * Returns the owner and group of a file in the view: the ones recorded for it, or else its
     * owner and group on the host, where kmview's own user and group show as root's.
     *
     * @param found the file as {@link Libc#fileOwner} returns it
     */
    long[] viewOwner(long[] found) {
        long[] recorded = owners.get(List.of(found[0], found[1], found[2]));
        if (recorded != null) {
            return recorded.clone();
        }
        return new long[] {found[3] == hostUid ? 0 : found[3], found[4] == hostGid ? 0 : found[4]};
    }

    /**
     * Applies chown's rules with the view's owners. Root of the view may give any file any owner.
     * Another thread may only change the group of a file it owns in the view, to one of its own
     * groups. A change the kernel rejects for kmview's user is made in the view alone.
     */
    private void arrangeChown(SyscallStop stop, Syscall syscall, Syscall run) {
        int tid = stop.tracee().tid();
        // A cow mount may run fchown as fchownat on its copy: the copy is the file that changes.
        Target target = target(stop, run, tid);
        boolean at = syscall == Syscall.FCHOWNAT;
        int uid = id(stop, at ? 2 : 1);
        int gid = id(stop, at ? 3 : 2);
        long[] before = target == null ? null : libc.fileOwner(target.file(), target.follow());
        if (before == null) {
            // The kernel reports a missing file or a bad descriptor itself.
            return;
        }
        long[] owner = viewOwner(before);
        long[] changed = owner.clone();
        if (uid != UNCHANGED) {
            changed[0] = Integer.toUnsignedLong(uid);
        }
        if (gid != UNCHANGED) {
            changed[1] = Integer.toUnsignedLong(gid);
        }

        stop.alsoAtExit(exit -> {
            long result = exit.returnValue();
            if (result != 0 && result != -Errno.EPERM.number()) {
                return;
            }
            long[] after = libc.fileOwner(target.file(), target.follow());
            if (after == null) {
                return;
            }
            owners.put(List.of(after[0], after[1], after[2]), changed);
            if (result != 0) {
                // The kernel made no change, so it did not clear these bits as chown does.
                clearSetIdBits(target.file(), after[5]);
                exit.setReturnValue(0);
            }
            LOG.debug("[{}] {} of {} recorded as owned by {}:{}", exit.tracee().tid(), syscall, target.file(),
                    changed[0], changed[1]);
        });
    }

    /** Returns whether a thread without CAP_CHOWN may make this change, as the kernel decides. */
    static boolean chownPermitted(Credentials ids, long[] owner, int uid, int gid) {
        if (uid == UNCHANGED && gid == UNCHANGED) {
            // Nothing to change: the kernel lets anyone make that call.
            return true;
        }
        if (Integer.toUnsignedLong(ids.fsUid) != owner[0]) {
            return false;
        }
        if (uid != UNCHANGED && Integer.toUnsignedLong(uid) != owner[0]) {
            return false;
        }
        return gid == UNCHANGED || Integer.toUnsignedLong(gid) == owner[1] || inGroup(ids, gid);
    }

    private static boolean inGroup(Credentials ids, int gid) {
        if (gid == ids.fsGid) {
            return true;
        }
        for (int group : ids.groups) {
            if (group == gid) {
                return true;
            }
        }
        return false;
    }

    /**
     * Clears set-user-ID, and set-group-ID where the group may execute, of any file but a
     * directory, as chown does on Linux.
     */
    private void clearSetIdBits(String file, long mode) {
        boolean directory = (mode & S_IFMT) == S_IFDIR;
        long cleared = mode & ~S_ISUID;
        if ((mode & S_IXGRP) != 0) {
            cleared &= ~S_ISGID;
        }
        if (!directory && cleared != mode) {
            libc.chmod(file, (int) (cleared & 07777));
        }
    }

    /**
     * Records the owner of a file, directory, device node or symbolic link that a thread creates,
     * where the host owner would show wrong. The host shows kmview's user, which the view shows
     * as root, so a creator with other file system ids is recorded. In a directory with the
     * set-group-ID bit, the new entry gets the directory's group in the view, as on Linux.
     */
    private void arrangeCreate(SyscallStop stop, Syscall syscall) {
        int tid = stop.tracee().tid();
        Credentials ids = credentials(tid);
        boolean opens = syscall == Syscall.OPEN || syscall == Syscall.OPENAT || syscall == Syscall.OPENAT2
                || syscall == Syscall.CREAT;
        long flags = switch (syscall) {
            case OPEN -> stop.argument(1);
            case OPENAT -> stop.argument(2);
            case OPENAT2 -> openHowFlags(stop);
            case CREAT -> O_CREAT;
            default -> 0;
        };
        boolean unnamed = opens && (flags & O_TMPFILE_BIT) != 0;
        if (opens && (flags & O_CREAT) == 0 && !unnamed) {
            // Only opens: no path to read.
            return;
        }
        String file = switch (syscall) {
            case OPENAT, OPENAT2, MKDIRAT, MKNODAT -> hostPath(stop, tid, (int) stop.argument(0), stop.kernelArgument(1));
            case SYMLINKAT -> hostPath(stop, tid, (int) stop.argument(1), stop.kernelArgument(2));
            case SYMLINK -> hostPath(stop, tid, AT_FDCWD, stop.kernelArgument(1));
            default -> hostPath(stop, tid, AT_FDCWD, stop.kernelArgument(0));
        };
        if (file == null || (!unnamed && libc.lstatMode(file) >= 0)) {
            // No creation: the file exists already, or the call only opens.
            return;
        }
        long uid = Integer.toUnsignedLong(ids.fsUid);
        long gid = Integer.toUnsignedLong(ids.fsGid);
        // O_TMPFILE names the directory itself.
        long[] directory = libc.fileOwner(unnamed ? file : parentOf(file), true);
        if (directory != null && (directory[5] & S_ISGID) != 0) {
            gid = viewOwner(directory)[1];
        }
        if (uid == 0 && gid == 0) {
            return;
        }
        long[] owner = {uid, gid};
        stop.alsoAtExit(exit -> {
            long result = exit.returnValue();
            if (result < 0) {
                return;
            }
            long[] created = opens ? libc.fileOwner("/proc/" + tid + "/fd/" + result, true)
                    : libc.fileOwner(file, false);
            if (created != null) {
                owners.put(List.of(created[0], created[1], created[2]), owner);
            }
        });
    }

    /** Returns the directory part of an absolute host path: "/" for "/name". */
    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/', path.length() - 2);
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    /**
     * Returns the flags of the open_how struct that an openat2 call passes the kernel. Returns 0,
     * which records nothing, when the struct cannot be read or the call uses RESOLVE_IN_ROOT.
     */
    private static long openHowFlags(SyscallStop stop) {
        byte[] openHow = stop.read(stop.kernelArgument(2), OPEN_HOW_SIZE);
        if (openHow == null || stop.argument(3) < OPEN_HOW_SIZE) {
            return 0;
        }
        ByteBuffer fields = ByteBuffer.wrap(openHow).order(ByteOrder.nativeOrder());
        // NOTE: with RESOLVE_IN_ROOT an absolute path starts at DIRFD, which hostPath does not
        // follow, so such a creation keeps the host owner (shown as root).
        if ((fields.getLong(16) & RESOLVE_IN_ROOT) != 0) {
            return 0;
        }
        return fields.getLong(0);
    }

    /**
     * Lets an access check for writing succeed for root of the view below a mount that copies
     * files up before a change (viewfs cow and mincow), where a write would succeed. The kernel
     * checked for kmview's user, who may lack write permission on the lower file. The other bits
     * of the mode are still checked by the kernel.
     */
    /** Returns whether the mode of an access, faccessat or faccessat2 call includes W_OK. */
    boolean asksWrite(SyscallStop stop, Syscall syscall) {
        return (stop.argument(syscall == Syscall.ACCESS ? 1 : 2) & W_OK) != 0;
    }

    void arrangeAccess(SyscallStop stop, Syscall syscall, boolean copiesUp) {
        if (!copiesUp) {
            return;
        }
        int tid = stop.tracee().tid();
        boolean at = syscall != Syscall.ACCESS;
        long dirfd = at ? (int) stop.argument(0) : AT_FDCWD;
        String file = hostPath(stop, tid, dirfd, stop.kernelArgument(at ? 1 : 0));
        int mode = (int) stop.argument(at ? 2 : 1);
        long flags = syscall == Syscall.FACCESSAT2 ? stop.argument(3) : 0;
        if (file == null || (mode & W_OK) == 0) {
            return;
        }
        Credentials ids = credentials(tid);
        // access() checks with the real ids, and AT_EACCESS with the effective ones.
        int uid = (flags & AT_EACCESS) != 0 ? ids.effectiveUid : ids.realUid;
        boolean follow = (flags & AT_SYMLINK_NOFOLLOW) == 0;
        stop.alsoAtExit(exit -> {
            if (exit.returnValue() != -Errno.EACCES.number() || uid != 0) {
                return;
            }
            if (libc.access(file, mode & ~W_OK, follow) == 0) {
                exit.setReturnValue(0);
            }
        });
    }

    /**
     * Gives the new program the ids that exec gives it on Linux: the owner of a set-user-ID file
     * and the group of a set-group-ID file become the effective ids, and the saved ids take the
     * effective ones. The kernel itself ignores these bits in a view, whose processes run with
     * no_new_privs, and for a script, whose interpreter runs.
     */
    private void arrangeExec(SyscallStop stop, Syscall syscall) {
        int tid = stop.tracee().tid();
        String file;
        if (syscall == Syscall.EXECVE) {
            file = hostPath(stop, tid, AT_FDCWD, stop.kernelArgument(0));
        } else {
            String path = stop.readString(stop.kernelArgument(1));
            boolean descriptor = path != null && path.isEmpty() && (stop.argument(4) & AT_EMPTY_PATH) != 0;
            file = descriptor ? "/proc/" + tid + "/fd/" + (int) stop.argument(0)
                    : hostPath(stop, tid, (int) stop.argument(0), stop.kernelArgument(1));
        }
        long[] found = file == null ? null : libc.fileOwner(file, true);
        long mode = found == null || (found[5] & S_IFMT) != S_IFREG ? 0 : found[5];
        boolean setUser = (mode & S_ISUID) != 0 && !isScript(file);
        boolean setGroup = (mode & S_ISGID) != 0 && (mode & S_IXGRP) != 0 && !isScript(file);
        long[] owner = found == null ? null : viewOwner(found);

        // A thread other than the leader that execs takes the leader's id: the new program
        // keeps the credentials of the thread that made the call, not the old leader's.
        Credentials ids = credentials(tid);
        stop.alsoAtExec(exec -> {
            if (setUser) {
                ids.effectiveUid = (int) owner[0];
            }
            if (setGroup) {
                ids.effectiveGid = (int) owner[1];
            }
            // As cap_bprm_creds_from_file(): suid = fsuid = euid, sgid = fsgid = egid.
            ids.savedUid = ids.effectiveUid;
            ids.fsUid = ids.effectiveUid;
            ids.savedGid = ids.effectiveGid;
            ids.fsGid = ids.effectiveGid;
            byThread.put(exec.tracee().tid(), ids);
        });
    }

    /**
     * Returns whether {@code file} starts with {@code #!}. A file kmview cannot read counts as
     * none, because no interpreter could read it either.
     */
    private static boolean isScript(String file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(file))) {
            return in.read() == '#' && in.read() == '!';
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Returns the host path of a path argument for the tracer, through /proc for a relative one, or null. */
    private static String hostPath(SyscallStop stop, int tid, long dirfd, long address) {
        String path = stop.readString(address);
        if (path == null || path.isEmpty()) {
            return null;
        }
        if (path.startsWith("/")) {
            return path;
        }
        String base = dirfd == AT_FDCWD ? "/proc/" + tid + "/cwd" : "/proc/" + tid + "/fd/" + (int) dirfd;
        return base + "/" + path;
    }

    private void arrangeOwnerPatch(SyscallStop stop, boolean statx, long buffer) {
        stop.alsoAtExit(exit -> {
            if (exit.returnValue() != 0) {
                return;
            }
            byte[] raw = exit.read(buffer, statx ? STATX_SIZE : STAT_SIZE);
            if (raw == null) {
                return;
            }
            ByteBuffer fields = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            List<Long> key;
            if (statx) {
                long major = fields.getInt(STATX_DEV_MAJOR) & 0xffffffffL;
                long minor = fields.getInt(STATX_DEV_MINOR) & 0xffffffffL;
                key = List.of(major, minor, fields.getLong(STATX_INO));
            } else {
                long device = fields.getLong(STAT_DEV);
                key = List.of(majorOf(device), minorOf(device), fields.getLong(STAT_INO));
            }
            int uidAt = statx ? STATX_UID : STAT_UID;
            int gidAt = statx ? STATX_GID : STAT_GID;
            long uid = fields.getInt(uidAt) & 0xffffffffL;
            long gid = fields.getInt(gidAt) & 0xffffffffL;
            long[] owner = viewOwner(new long[] {key.get(0), key.get(1), key.get(2), uid, gid});
            if (owner[0] != uid || owner[1] != gid) {
                fields.putInt(uidAt, (int) owner[0]);
                fields.putInt(gidAt, (int) owner[1]);
                exit.write(buffer, raw);
            }
        });
    }
}
