package org.kmview.umfuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemStats;
import org.kmview.spi.Operation;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.StatView;
import org.kmview.spi.VirtualMount;

/**
 * A mount of a FUSE daemon's file system. The daemon can reply only after its mount(2)
 * returned, so the tree is listed at the first use of the mount, by a process of the view other
 * than the daemon. From then on the mount works as an archive mount: content is read on first
 * open, and changes go back to the daemon at unmount, before DESTROY.
 *
 * <p>Used on the tracer thread only.
 */
final class FuseMount implements VirtualMount {

    private static final long RENAME_EXCHANGE = 2;

    private final FuseConnection connection;
    private final Path root;
    private final String sourceName;
    private final MountOptions options;
    private final boolean readWrite;
    private final MountLog log;
    private UmfuseMount tree;
    private FuseArchive archive;
    /** The forwarded operations the daemon got, until their calls end. */
    private final java.util.Set<Operation> sent = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private boolean failed;

    FuseMount(FuseConnection connection, Path root, String sourceName, MountOptions options, boolean readWrite,
              MountLog log) {
        this.connection = connection;
        this.root = root;
        this.sourceName = sourceName;
        this.options = options;
        this.readWrite = readWrite;
        this.log = log;
    }

    /** Returns the tree, listing it first if this is the first use; empty if the daemon failed. */
    private Optional<UmfuseMount> tree() {
        if (tree == null && !failed) {
            try {
                archive = FuseArchive.list(connection, log);
                tree = UmfuseMount.createIn(root, archive, sourceName, options, readWrite, log, List.of());
                archive.copyAttributesTo(root);
            } catch (IOException | RuntimeException e) {
                failed = true;
                String reason = "cannot list the file system of " + connection.daemon() + " on " + sourceName + ": "
                        + e.getMessage();
                if (connection.usable()) {
                    log.warning(reason);
                } else {
                    // The connection has logged the reason already.
                    log.event(() -> reason);
                }
            }
        }
        return Optional.ofNullable(tree);
    }

    /**
     * Maps a path through the tree. Once the daemon ended, every path fails with ENOTCONN, as on a
     * kernel FUSE mount whose daemon died. After a protocol fault or a timeout, every path fails with EIO.
     */
    @Override
    public PathMapping map(String relative) {
        return mapping(relative, true);
    }

    @Override
    public PathMapping lookup(String relative) {
        return mapping(relative, false);
    }

    private PathMapping mapping(String relative, boolean content) {
        if (connection.ended()) {
            return PathMapping.failed(Errno.ENOTCONN);
        }
        if (connection.failure() != null) {
            return PathMapping.failed(Errno.EIO);
        }
        Optional<UmfuseMount> mount = tree();
        if (mount.isEmpty()) {
            return PathMapping.failed(connection.ended() ? Errno.ENOTCONN : Errno.EIO);
        }
        PathMapping mapping = content ? mount.get().map(relative) : mount.get().lookup(relative);
        if (mapping instanceof PathMapping.Hidden && !connection.usable()) {
            // The content of a file could not be read because the daemon failed.
            return PathMapping.failed(connection.ended() ? Errno.ENOTCONN : Errno.EIO);
        }
        return mapping;
    }

    @Override
    public Optional<String> hostRoot() {
        return Optional.of(root.toString());
    }

    /** The daemon, and fusermount while it waits for the daemon, serve the mount. */
    @Override
    public java.util.Set<Integer> servingProcesses() {
        return connection.servingProcesses();
    }

    @Override
    public Optional<org.kmview.spi.Owner> ownerOf(String relative) {
        return tree == null ? Optional.empty() : tree.ownerOf(relative);
    }

    @Override
    public boolean readOnly() {
        return !readWrite;
    }

    /** Reports the daemon's own sizes and counts (STATFS), so df shows the image, not the private copy. */
    @Override
    public Optional<FileSystemStats> fileSystemStats() {
        if (!connection.usable() || connection.ended()) {
            return Optional.empty();
        }
        try {
            FuseConnection.Reply reply = connection.call(FuseProtocol.STATFS, FuseProtocol.ROOT_ID, new byte[0]);
            return reply.error() == 0 ? Optional.of(FuseProtocol.statfs(reply.payload())) : Optional.empty();
        } catch (IOException e) {
            log.event(() -> "STATFS failed: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Changes by path go to the daemon first, so it may refuse them as it would through the kernel. */
    @Override
    public boolean forwardsOperations() {
        return readWrite;
    }

    /**
     * Sends a change by path to the daemon at the entry of the process's call. The daemon's
     * errno becomes the call's; on success the kernel makes the same change in the private copy.
     */
    @Override
    public boolean forward(Operation operation) throws ServiceException {
        Optional<UmfuseMount> mount = tree();
        if (connection.ended()) {
            throw new ServiceException(Errno.ENOTCONN, connection.daemon() + " has ended");
        }
        if (mount.isEmpty() || !connection.usable()) {
            throw new ServiceException(Errno.EIO, connection.daemon() + " failed: " + connection.failure());
        }
        boolean root = org.kmview.umfuse.nativeio.Fifo.uid() == 0;
        String attribute = attributeName(operation);
        if (attribute != null && attribute.startsWith("trusted.") && !root) {
            // The kernel refuses trusted.* to an ordinary user before the daemon hears of it, as
            // it does on the private copy.
            return false;
        }
        try {
            if (!archive.forward(operation)) {
                return false;
            }
        } catch (FuseArchive.RefusedRequest e) {
            log.event(e::getMessage);
            throw new ServiceException(kernelErrno(operation, e.errno()), e.getMessage());
        } catch (IOException e) {
            throw new ServiceException(connection.ended() ? Errno.ENOTCONN : Errno.EIO, e.getMessage());
        }
        if (!root && operation instanceof Operation.SetOwner owner) {
            // An ordinary user cannot give the private copy away: the daemon has the new owner,
            // and stat shows it.
            mount.get().showOwner(owner.path(), owner.uid(), owner.gid());
            return true;
        }
        if (!root && attribute != null && !attribute.startsWith("user.")) {
            // Only root may set such a name on the private copy; the daemon has it, hidden in the view.
            return true;
        }
        sent.add(operation);
        return false;
    }

    private static String attributeName(Operation operation) {
        if (operation instanceof Operation.SetAttribute set) {
            return set.name();
        }
        if (operation instanceof Operation.RemoveAttribute remove) {
            return remove.name();
        }
        return null;
    }

    /** Returns the errno the kernel's FUSE gives for a daemon's reply: ENOSYS becomes what the call returns there. */
    private static Errno kernelErrno(Operation operation, int errno) {
        Errno replied = Errno.of(errno);
        if (replied != Errno.ENOSYS) {
            return replied;
        }
        if (operation instanceof Operation.Link) {
            return Errno.EPERM;
        }
        if (operation instanceof Operation.SetAttribute || operation instanceof Operation.RemoveAttribute) {
            return Errno.EOPNOTSUPP;
        }
        return replied;
    }

    /** Records a forwarded change in the tree the write-back compares with, once the kernel made it too. */
    @Override
    public void forwarded(Operation operation, boolean succeeded) {
        if (tree == null || !sent.remove(operation)) {
            return;
        }
        if (!succeeded) {
            // NOTE: the write-back compares with the tree recorded before this change, so the
            // daemon keeps it even though the view does not show it.
            log.warning(connection.daemon() + " made " + operation + " but the same change failed in the private copy "
                    + root + ", so the daemon and the view now differ at " + operation.path());
            return;
        }
        if (operation instanceof Operation.Rename rename) {
            if ((rename.flags() & RENAME_EXCHANGE) != 0) {
                tree.adoptExchange(rename.path(), rename.target());
            } else {
                tree.adoptMove(rename.path(), rename.target());
            }
        } else if (operation instanceof Operation.Link link) {
            tree.adopt(link.path(), link.target());
        } else if (!(operation instanceof Operation.SetAttribute) && !(operation instanceof Operation.RemoveAttribute)
                && !(operation instanceof Operation.CheckAccess)) {
            tree.adopt(operation.path());
        }
    }

    /** Returns true for a read-write mount: it writes a file back to the daemon when a process closes or syncs it. */
    @Override
    public boolean syncsFiles() {
        return readWrite;
    }

    /**
     * Writes back a file (and new directories above it) at its close or fsync, or the whole tree
     * at syncfs and sync, so the daemon has what the view's processes wrote without waiting for
     * the unmount. A file never listed yet has nothing to write.
     */
    @Override
    public void sync(String relative, boolean durable) throws ServiceException {
        if (tree == null || !connection.usable() || connection.ended()) {
            return;
        }
        try {
            tree.writeBack(relative, durable);
        } catch (IOException | RuntimeException e) {
            log.warning("cannot write " + (relative.isEmpty() ? "the tree" : relative) + " back to "
                    + connection.daemon() + ": " + e.getMessage() + "; it is kept in " + root
                    + " and written again at unmount");
            throw new ServiceException(Errno.EIO, e.getMessage());
        }
    }

    @Override
    public Optional<StatView> statView() {
        return Optional.of(new StatView(true, -1, -1, -1, -1, 0));
    }

    /**
     * Writes the changed tree back to the daemon, then sends DESTROY, after which the daemon's
     * reads fail with ENODEV and it ends as it would outside. If the daemon itself unmounts (it
     * is ending), it can reply to nothing: a changed tree is then kept and its path logged.
     */
    @Override
    public void unmount() {
        if (tree != null && connection.ended()) {
            tree.abandon(connection.daemon() + " closed its device before the unmount");
        } else if (tree != null) {
            tree.unmount();
        }
        if (archive != null && connection.usable() && !connection.ended()) {
            try {
                archive.forgetAll();
            } catch (IOException e) {
                log.event(() -> "BATCH_FORGET failed: " + e.getMessage());
            }
        }
        connection.destroy();
        if (tree == null) {
            try {
                java.nio.file.Files.deleteIfExists(root);
            } catch (IOException e) {
                log.event(() -> "cannot remove " + root + ": " + e.getMessage());
            }
        }
        log.event(() -> "unmounted " + sourceName + " of " + connection.daemon());
    }
}
