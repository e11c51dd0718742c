package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.kmview.spi.PathMapping;
import org.kmview.spi.StatView;
import org.kmview.spi.VirtualMount;

/**
 * A mounted archive or image, shown through a private host directory whose tree mirrors the
 * archive. Regular files start as sparse placeholders of the right size; {@link #map} writes a
 * file's content the first time it returns the file's path, so a {@code stat} or an {@code open}
 * that follows gets the real file. At unmount a read-write mount whose tree changed writes the
 * tree back to its source.
 *
 * <p>Placeholders waiting for content are kept by file key (device and inode), not by path, so a
 * placeholder renamed or moved with its directory is still recognised, and one materialisation
 * serves every hard link to it. Materialisation and unmount hold this object's lock.
 */
final class UmfuseMount implements VirtualMount {

    /**
     * Bytes per write when a file is materialised. Large writes let the kernel cache the file in
     * large folios, which later reads copy faster. On ext4 under Linux 6.x, a 100 MB file written
     * in 1 MiB chunks read back at 9 GB/s, and one written in 8 KiB chunks at 6 GB/s.
     */
    private static final int COPY_BUFFER = 1 << 20;

    private final Path root;
    private final Archive archive;
    private final String sourceName;
    private final MountOptions options;
    private final boolean readWrite;
    private final MountLog log;
    private final Map<Object, ArchiveEntry> pending;
    /** The archive's owners of the host files that could not take them, by file key. */
    private final Map<Object, org.kmview.spi.Owner> shownOwners = new java.util.HashMap<>();
    /** The tree as the source has it: at mount, then after each sync. */
    private TreeScan snapshot;
    private final List<Path> workFiles;
    private boolean unmounted;

    private UmfuseMount(Path root, Archive archive, String sourceName, MountOptions options, boolean readWrite,
                        MountLog log, Map<Object, ArchiveEntry> pending, TreeScan snapshot, List<Path> workFiles) {
        this.root = root;
        this.archive = archive;
        this.sourceName = sourceName;
        this.options = options;
        this.readWrite = readWrite;
        this.log = log;
        this.pending = pending;
        this.snapshot = snapshot;
        this.workFiles = workFiles;
    }

    /**
     * Builds the tree of {@code archive} in a new directory below {@code tempParent}. On failure
     * the directory is deleted; closing the archive and deleting {@code workFiles} is then up to
     * the caller.
     *
     * @param workFiles files of the archive (such as a decompressed copy) to delete at unmount
     * @throws IOException if the tree cannot be created
     */
    static UmfuseMount create(Path tempParent, Archive archive, String sourceName, MountOptions options,
                              boolean readWrite, MountLog log, List<Path> workFiles) throws IOException {
        return createIn(Files.createTempDirectory(tempParent, "kmview-umfuse-"), archive, sourceName, options,
                readWrite, log, workFiles);
    }

    /**
     * Builds the tree of {@code archive} in the empty directory {@code root}, as {@link #create}
     * does in a directory of its own.
     */
    static UmfuseMount createIn(Path root, Archive archive, String sourceName, MountOptions options,
                                boolean readWrite, MountLog log, List<Path> workFiles) throws IOException {
        try {
            Map<Object, org.kmview.spi.Owner> shownOwners = new java.util.HashMap<>();
            Map<Object, ArchiveEntry> pending = Skeleton.build(root, archive.entries(), options, readWrite, log,
                    shownOwners);
            TreeScan snapshot = TreeScan.of(root);
            log.event(() -> "mounted " + sourceName + (readWrite ? " read-write" : " read-only") + " in " + root
                    + ": " + snapshot.nodes().size() + " entries, " + pending.size() + " files to materialise");
            UmfuseMount mount = new UmfuseMount(root, archive, sourceName, options, readWrite, log, pending, snapshot,
                    List.copyOf(workFiles));
            mount.shownOwners.putAll(shownOwners);
            return mount;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(root, log);
            throw e;
        }
    }

    @Override
    public PathMapping map(String relative) {
        return map(relative, true);
    }

    /**
     * Maps a path for a call that reads only metadata: a placeholder already has the entry's
     * size, mode and times, so its content waits for a call that reads it. Only st_blocks (and so
     * {@code du} without {@code --apparent-size}) shows the placeholder as sparse until then.
     */
    @Override
    public PathMapping lookup(String relative) {
        return map(relative, false);
    }

    private PathMapping map(String relative, boolean content) {
        if (options.excepted(relative)) {
            return PathMapping.below();
        }
        Path path = relative.isEmpty() ? root : root.resolve(relative);
        if (!options.merge() && (!content || pending.isEmpty())) {
            // Only merge (for a missing entry) and materialisation need the entry's attributes, so
            // a metadata call such as find's stats costs no stat of the private tree here.
            return PathMapping.host(path.toString());
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return options.merge() ? PathMapping.below() : PathMapping.host(path.toString());
        } catch (IOException e) {
            // ENOTDIR and the like: the kernel returns the same error for the host path.
            return PathMapping.host(path.toString());
        }

        if (content && attributes.isRegularFile() && pending.containsKey(attributes.fileKey())
                && !materialise(path, attributes.fileKey())) {
            // NOTE: VirtualMount.map cannot return an errno, so a file whose content cannot be read
            // is hidden (ENOENT) instead of failing with EIO.
            return PathMapping.hidden();
        }
        return PathMapping.host(path.toString());
    }

    /**
     * Shows the archive's owner of an entry whose host file could not take it, as a FUSE file
     * system run by an ordinary user shows the owners its source stores.
     */
    // NOTE: owners are kept by file key, so a file created in the tree after another was removed
    // may show the removed file's owner if the host reuses its inode number.
    @Override
    public synchronized Optional<org.kmview.spi.Owner> ownerOf(String relative) {
        if (shownOwners.isEmpty()) {
            return Optional.empty();
        }
        try {
            Object key = Files.readAttributes(relative.isEmpty() ? root : root.resolve(relative),
                    BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return Optional.ofNullable(shownOwners.get(key));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<String> hostRoot() {
        return Optional.of(root.toString());
    }

    /** With merge or except=, listings also show the names that lie below the mount point. */
    @Override
    public boolean mergesListings() {
        return options.merge() || !options.excepts().isEmpty();
    }

    /** merge and except= leave whole directories to the layer below without hiding any name there. */
    @Override
    public boolean hidesNamesBelow(String relativeDir) {
        return false;
    }

    /** Returns whether the mount is read-only ({@code ro}, the default of tar and ISO 9660 images). */
    @Override
    public boolean readOnly() {
        return !readWrite;
    }

    /**
     * Shows a device of the mount's own, as a separate file system does, and the owner, group and
     * permission bits of the uid=, gid=, mode= and umask= options, also where kmview may not chown.
     */
    @Override
    public Optional<StatView> statView() {
        return Optional.of(new StatView(true,
                (int) options.uid().orElse(-1), (int) options.gid().orElse(-1),
                options.fileMode().orElse(-1), -1, options.umask().orElse(0)));
    }

    /**
     * Writes the tree back to the source if the mount is read-write and the tree changed, then
     * deletes the tree. If the write-back fails, the tree is kept and its path logged, so no
     * change is lost. Nothing is thrown, because the view has already dropped the mount.
     */
    @Override
    public synchronized void unmount() {
        if (unmounted) {
            return;
        }
        unmounted = true;

        boolean keepTree = false;
        if (readWrite) {
            try {
                writeBackIfChanged();
            } catch (IOException | RuntimeException e) {
                keepTree = true;
                log.warning("write-back to " + sourceName + " failed, the source is unchanged and the changed tree "
                        + "is kept in " + root + ": " + e);
            }
        }

        try {
            archive.close();
        } catch (IOException e) {
            log.error("failed to close " + sourceName + ": " + e);
        }
        for (Path workFile : workFiles) {
            deleteQuietly(workFile, log);
        }
        if (!keepTree) {
            deleteQuietly(root, log);
            log.event(() -> "unmounted " + sourceName + " and deleted " + root);
        }
    }

    /**
     * Writes back what changed at {@code relative} while the mount stays: a file and any new
     * directories above it, or for a directory or the empty path every change in the tree. The
     * archive must support {@link Archive#writeEntries}. Afterwards the written state counts as
     * the source's, so unmount writes only what changed after.
     *
     * @param durable whether the source must have the changes on disk when this returns
     * @throws IOException if writing fails; what was written before the failure stays written
     */
    synchronized void writeBack(String relative, boolean durable) throws IOException {
        if (!readWrite || unmounted) {
            return;
        }
        Path path = relative.isEmpty() ? root : root.resolve(relative);
        if (relative.isEmpty() || Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            writeBackIfChanged();
            snapshot = TreeScan.of(root);
            return;
        }

        Optional<TreeScan.Node> now = TreeScan.node(root, relative);
        if (now.isEmpty()) {
            // Gone or renamed meanwhile: the next full write-back handles it.
            return;
        }
        TreeScan.Node before = snapshot.nodes().get(relative);
        if (before != null && before.state().equals(now.get().state())) {
            return;
        }

        List<TreeScan.Node> written = new ArrayList<>();
        for (String parent = EntryPaths.parent(relative); !parent.isEmpty(); parent = EntryPaths.parent(parent)) {
            if (!snapshot.nodes().containsKey(parent)) {
                Optional<TreeScan.Node> directory = TreeScan.node(root, parent);
                if (directory.isEmpty()) {
                    return;
                }
                written.add(0, directory.get());
            }
        }
        written.add(now.get());
        archive.writeEntries(written.stream().map(this::entryOf).toList(), durable);
        written.forEach(snapshot::put);

        // Creating the file changed its directory's time in the source too.
        String parent = EntryPaths.parent(relative);
        if (before == null && !parent.isEmpty() && snapshot.nodes().containsKey(parent)) {
            TreeScan.node(root, parent).ifPresent(snapshot::put);
        }
        log.event(() -> "synced " + relative + " to " + sourceName);
    }

    /**
     * Records that the source now has the entries at {@code paths} as the private copy has
     * them, after a change made in both (a forwarded operation): the write-back then skips them.
     * A path that no longer exists is dropped with what lay below it, and each path's directory
     * is recorded too, since the change touched its time.
     */
    synchronized void adopt(String... paths) {
        try {
            for (String path : paths) {
                Optional<TreeScan.Node> now = path.isEmpty() ? Optional.empty() : TreeScan.node(root, path);
                if (now.isPresent()) {
                    snapshot.put(now.get());
                } else if (!path.isEmpty()) {
                    snapshot.removeTree(path);
                }
                String parent = EntryPaths.parent(path);
                if (!path.isEmpty() && !parent.isEmpty() && snapshot.nodes().containsKey(parent)) {
                    TreeScan.node(root, parent).ifPresent(snapshot::put);
                }
            }
        } catch (IOException e) {
            log.event(() -> "cannot record " + String.join(", ", paths) + ": " + e.getMessage());
        }
    }

    /**
     * Shows {@code uid} and {@code gid} (-1 keeps the shown one) as the owner of the entry at
     * {@code relative}, which its source now has and its host file cannot take.
     */
    synchronized void showOwner(String relative, int uid, int gid) {
        try {
            Path path = relative.isEmpty() ? root : root.resolve(relative);
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            org.kmview.spi.Owner before = shownOwners.get(key);
            int oldUid = before != null ? before.uid() : (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int oldGid = before != null ? before.gid() : (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            shownOwners.put(key, new org.kmview.spi.Owner(uid == -1 ? oldUid : uid, gid == -1 ? oldGid : gid));
        } catch (IOException e) {
            log.event(() -> "cannot record the owner of " + relative + ": " + e.getMessage());
        }
    }

    /** Records a rename that the source made too, with the entries below a directory. */
    synchronized void adoptMove(String from, String to) {
        snapshot.moveTree(from, to);
        adopt(to, from);
    }

    /** Records that the source and the private copy swapped {@code first} and {@code second}. */
    synchronized void adoptExchange(String first, String second) {
        String aside = first + "/\0exchange";
        snapshot.moveTree(first, aside);
        snapshot.moveTree(second, first);
        snapshot.moveTree(aside, second);
        adopt(first, second);
    }

    /**
     * Unmounts without writing back, because the source can no longer take the changes (its
     * FUSE daemon ended): a changed tree is kept and its path logged, an unchanged one deleted.
     */
    synchronized void abandon(String reason) {
        if (unmounted) {
            return;
        }
        unmounted = true;
        boolean changed;
        try {
            changed = readWrite && TreeScan.of(root).differsFrom(snapshot);
        } catch (IOException e) {
            changed = true;
        }
        if (changed) {
            log.warning(reason + "; the changes it did not get are kept in " + root);
        } else {
            deleteQuietly(root, log);
        }
    }

    /** Returns the host directory behind the mount point. */
    Path root() {
        return root;
    }

    /** Returns whether the placeholder at {@code relative} still lacks its content. */
    boolean isPending(String relative) throws IOException {
        Object key = Files.readAttributes(root.resolve(relative), BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).fileKey();
        return pending.containsKey(key);
    }

    /**
     * Writes the content of the placeholder at {@code path} and restores its mode and times, so
     * the write does not count as a change. Returns whether the file now has its content.
     */
    private synchronized boolean materialise(Path path, Object key) {
        ArchiveEntry entry = pending.get(key);
        if (entry == null) {
            return true;
        }
        try {
            int mode = HostFiles.mode(path);
            BasicFileAttributes before = Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            HostFiles.setMode(path, mode | 0600);
            long written;
            try (InputStream in = entry.content().open();
                 FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                // No fsync: the tree is a private cache of the archive, rebuilt at each mount.
                written = copy(in, Channels.newOutputStream(channel));
            } finally {
                HostFiles.setMode(path, mode);
            }
            if (written != entry.size()) {
                throw new IOException("the archive index gives " + entry.size() + " bytes but the content has "
                        + written);
            }
            HostFiles.setTimes(path, before.lastModifiedTime(), before.lastAccessTime());
            pending.remove(key);
            log.event(() -> "materialised " + entry.path() + " (" + written + " bytes)");
            return true;
        } catch (IOException | RuntimeException e) {
            log.error("failed to materialise " + entry.path() + " from " + sourceName + ": " + e);
            return false;
        }
    }

    private void writeBackIfChanged() throws IOException {
        TreeScan now = TreeScan.of(root);
        if (!now.differsFrom(snapshot) && !archive.hasUntrackedChanges()) {
            log.event(() -> "tree unchanged, " + sourceName + " left as it was");
            return;
        }

        // Renames and hard links show as the same file key under another path.
        Map<Object, TreeScan.Node> removedByKey = new java.util.HashMap<>();
        for (TreeScan.Node node : snapshot.nodes().values()) {
            if (!now.nodes().containsKey(node.path()) && node.fileKey() != null) {
                removedByKey.put(node.fileKey(), node);
            }
        }
        Map<Object, String> keptPathByKey = new java.util.HashMap<>();
        for (TreeScan.Node node : now.nodes().values()) {
            if (snapshot.nodes().containsKey(node.path()) && node.fileKey() != null) {
                keptPathByKey.putIfAbsent(node.fileKey(), node.path());
            }
        }
        Map<Object, String> firstNewPathByKey = new java.util.HashMap<>();
        List<TreeNode> tree = new ArrayList<>();
        for (TreeScan.Node node : now.nodes().values()) {
            TreeScan.Node before = snapshot.nodes().get(node.path());
            boolean unchanged = before != null && before.state().equals(node.state());
            TreeScan.Node earlier = before == null && node.fileKey() != null ? removedByKey.get(node.fileKey()) : null;
            String movedFrom = earlier != null && earlier.state().equals(node.state()) ? earlier.path() : null;
            String linkOf = null;
            if (before == null && movedFrom == null && node.state().kind() == EntryKind.FILE && node.fileKey() != null) {
                // A new name of a file the source has, or of a new file named earlier in the tree.
                linkOf = keptPathByKey.get(node.fileKey());
                if (linkOf == null) {
                    linkOf = firstNewPathByKey.putIfAbsent(node.fileKey(), node.path());
                }
            }
            tree.add(new TreeNode(entryOf(node), unchanged, movedFrom, linkOf));
        }
        List<String> removed = new ArrayList<>();
        for (String path : snapshot.nodes().keySet()) {
            if (!now.nodes().containsKey(path)) {
                removed.add(path);
            }
        }

        log.event(() -> "writing " + tree.size() + " entries back to " + sourceName);
        archive.writeBack(tree, removed);
        log.event(() -> "wrote " + sourceName);
    }

    /**
     * Turns a scanned node into an entry whose content reads from the archive while the file is
     * still a placeholder, and from the host file once materialised.
     */
    private ArchiveEntry entryOf(TreeScan.Node node) {
        TreeScan.NodeState state = node.state();
        Path host = root.resolve(node.path());
        ArchiveEntry.Content content = null;
        if (state.kind() == EntryKind.FILE) {
            ArchiveEntry original = pending.get(node.fileKey());
            content = original != null ? original.content() : () -> Files.newInputStream(host);
        }
        return new ArchiveEntry(node.path(), state.kind(), state.size(), state.mode(), state.mtime(), node.atime(),
                node.uid(), node.gid(), state.linkTarget(), content);
    }

    private static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[COPY_BUFFER];
        long total = 0;
        // readNBytes fills the buffer whole, so each write is COPY_BUFFER bytes but the last.
        for (int n = in.readNBytes(buffer, 0, buffer.length); n > 0; n = in.readNBytes(buffer, 0, buffer.length)) {
            out.write(buffer, 0, n);
            total += n;
        }
        return total;
    }

    private static void deleteQuietly(Path path, MountLog log) {
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                HostFiles.deleteTree(path);
            } else {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason()
                    : e.toString();
            log.error("failed to delete " + path + ": " + reason);
        }
    }
}
