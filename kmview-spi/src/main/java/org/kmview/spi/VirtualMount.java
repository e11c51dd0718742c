package org.kmview.spi;

import java.util.Optional;

/**
 * A mounted file system of a service. kmview translates each path below the mount point through
 * {@link #map} and lets the kernel work on the host path it returns, so data moves at native
 * speed and file descriptors, mmap and exec come from the kernel.
 */
public interface VirtualMount {

    /**
     * Maps a path below the mount point.
     *
     * @param relative the path below the mount point, without a leading slash, with no {@code .}
     *        or {@code ..} components and no symbolic links left to follow; the empty string is
     *        the mount point itself
     * @return what the view shows at that path
     */
    PathMapping map(String relative);

    /**
     * Maps a path below the mount point for a call that reads only its metadata or its name:
     * stat, access, readlink, getxattr, a directory listing, or a lookup on the way to another
     * path. A mount that fills files lazily may leave the content alone here, as long as the
     * host file's metadata is already right. The default is {@link #map}.
     */
    default PathMapping lookup(String relative) {
        return map(relative);
    }

    /**
     * Returns the host directory whose tree this mount shows at its mount point, if it shows one
     * whole. kmview uses it to turn host paths that the kernel reports (the working directory,
     * {@code /proc/self/fd/N}, {@code /proc/self/exe}) back into paths of the view.
     */
    default Optional<String> hostRoot() {
        return Optional.empty();
    }

    /**
     * Returns whether listings of the mount's directories also show the names that {@link #map}
     * leaves to what lies below ({@link PathMapping#below()}), as a union mount lists both
     * layers. kmview then builds those listings itself, the mount's entries first. The default,
     * false, lists the mount's host directories as they are.
     */
    default boolean mergesListings() {
        return false;
    }

    /**
     * Returns whether kmview calls {@link #prepareChange} before each call that changes a path
     * below the mount point. The default is false.
     */
    default boolean tracksChanges() {
        return false;
    }

    /**
     * Prepares a path for a change a call is about to make there, as a copy-on-write mount copies
     * a file up before the first write. Called only when {@link #tracksChanges} is true.
     *
     * @param relative the path below the mount point, as {@link #map} receives it
     * @param lower what the view showed below the mount point before the mount
     * @return the mapping the call then works on, or empty if the mount made the change itself
     *         (a removal it records as a whiteout, say): the call then returns 0
     * @throws ServiceException with the errno the call returns instead (ENOTEMPTY, ENOSPC, ...)
     */
    default Optional<PathMapping> prepareChange(String relative, Change change, LowerLayer lower)
            throws ServiceException {
        return Optional.of(map(relative));
    }

    /**
     * Tells the mount that a rename moved the entry at {@code relative} away, after the rename
     * succeeded, so a mount with layers can hide what still lies below. Called only when
     * {@link #tracksChanges} is true. The default does nothing.
     */
    default void movedAway(String relative, LowerLayer lower) {
    }

    /**
     * Returns whether the mount hides names of a directory it leaves to the layer below (a
     * directory for which {@link #map} returns {@link PathMapping#below()}), as copy-on-write
     * whiteouts do. When it does not, kmview lets the kernel list that directory as it is, which
     * is much faster than building a merged listing. The default, true, is always correct.
     *
     * @param relativeDir the directory below the mount point, as {@link #map} receives it
     */
    default boolean hidesNamesBelow(String relativeDir) {
        return true;
    }

    /**
     * Returns whether the mount is read-only: every call that would change a file, a directory or
     * their attributes below the mount point fails with EROFS, for every user including root, as
     * on a read-only mount of the kernel. The default is false.
     */
    default boolean readOnly() {
        return false;
    }

    /**
     * Returns how stat results below the mount point differ from the host files', if they do.
     * The default shows the host files' results unchanged.
     */
    default Optional<StatView> statView() {
        return Optional.empty();
    }

    /**
     * Returns the control file at a path below the mount point, if writes to that path are
     * commands for the service. The default has none.
     *
     * @param relative the path below the mount point, as {@link #map} receives it
     */
    default Optional<ControlFile> controlFile(String relative) {
        return Optional.empty();
    }

    /**
     * Returns the interpreter this mount runs {@code executable} with, if it claims the file, as a
     * binfmt_misc entry claims it. kmview queries the newest mount first; the first claim wins. The default claims
     * nothing.
     *
     * @throws ServiceException with the errno execve returns instead of running the file
     */
    default Optional<Interpreter> interpreterFor(Executable executable) throws ServiceException {
        return Optional.empty();
    }

    /**
     * Returns the processes of the view that serve this mount, such as a FUSE daemon; empty for
     * a mount kmview serves itself. When the program has ended and only such processes are
     * left, kmview unmounts their mounts, so they end and the view can end.
     */
    default java.util.Set<Integer> servingProcesses() {
        return java.util.Set.of();
    }

    /**
     * Returns the owner and group that stat shows for the entry at {@code relative}, where the
     * mount keeps them itself because its host file could not take them (kmview not running as
     * root); empty to show the host file's. A {@link StatView}'s own uid and gid come first.
     * Called only for mounts with a {@link #statView}.
     */
    default Optional<Owner> ownerOf(String relative) {
        return Optional.empty();
    }

    /**
     * Returns what {@code statfs(2)} on a path of the mount reports, or empty to report the file
     * system of the host path, as kmview does by default.
     */
    default Optional<FileSystemStats> fileSystemStats() {
        return Optional.empty();
    }

    /**
     * Returns whether changes by path below the mount go to {@link #forward} first, so the
     * mount's source may refuse them before the kernel makes them.
     */
    default boolean forwardsOperations() {
        return false;
    }

    /**
     * Lets the mount's source make {@code operation} before the kernel makes it on the host path,
     * at the entry of the process's call. Called only if {@link #forwardsOperations} returns
     * true, and followed by {@link #forwarded} at the call's exit.
     *
     * @return true if the mount made the change completely and the kernel must not make it (the
     *         call then returns 0 and {@link #forwarded} is not called): a change the host path
     *         cannot take, such as chown by an ordinary user
     * @throws ServiceException with the errno the call fails with instead; the kernel then does
     *         nothing
     */
    default boolean forward(Operation operation) throws ServiceException {
        return false;
    }

    /**
     * Tells the mount how the kernel's own run of a forwarded operation ended, at the call's
     * exit: whether it changed the host path too.
     */
    default void forwarded(Operation operation, boolean succeeded) {
    }

    /**
     * Returns whether the mount keeps files in a cache that it writes back to their source, and
     * so wants {@link #sync} calls: a FUSE daemon's file system.
     */
    default boolean syncsFiles() {
        return false;
    }

    /**
     * Writes back what changed at {@code relative}: a file, or a whole directory, or the whole
     * mount for the empty path. kmview calls it on a file when a process that opened a file of
     * the mount for writing closes a descriptor of it or calls fsync or fdatasync on it, and on
     * the whole mount at syncfs and sync. Called only if {@link #syncsFiles} returns true.
     *
     * @param durable true for fsync, fdatasync, syncfs and sync, after which the changes must
     *        be on the source's disk; false for a close
     * @throws ServiceException with the errno fsync, fdatasync or syncfs returns; close ignores it
     */
    default void sync(String relative, boolean durable) throws ServiceException {
    }

    /** Releases what the mount holds. kmview calls it once, after the mount left the view. */
    default void unmount() {
    }
}
