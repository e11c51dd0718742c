package org.kmview.umfuse;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the host tree of a mount from an archive index: every directory and symbolic link, each
 * regular file as a sparse placeholder of the right size, and each hard link as a hard link.
 *
 * <p>Entries are created by kind, in this order: directories, files, hard links, symbolic links.
 * No symbolic link exists while the others are created, so an entry such as {@code link/passwd}
 * after {@code link -> /etc} cannot write outside the tree; such an entry becomes a real
 * directory and the later link is skipped.
 */
final class Skeleton {

    static final int DEFAULT_DIRECTORY_MODE = 0755;
    static final int DEFAULT_FILE_MODE = 0644;

    private final Path root;
    private final MountOptions options;
    private final boolean readWrite;
    private final MountLog log;
    private final boolean applyArchiveOwners;
    private final FileTime now = FileTime.fromMillis(System.currentTimeMillis());

    /** The placeholders that still lack their content, by file key (device and inode). */
    private final Map<Object, ArchiveEntry> pending = new ConcurrentHashMap<>();
    private final Map<String, ArchiveEntry> directories = new LinkedHashMap<>();
    /** The archive's owners of the host files that could not take them, by file key. */
    private final Map<Object, org.kmview.spi.Owner> shownOwners;
    private boolean ownerFailureLogged;

    private Skeleton(Path root, MountOptions options, boolean readWrite, MountLog log,
                     Map<Object, org.kmview.spi.Owner> shownOwners) {
        this.root = root;
        this.shownOwners = shownOwners;
        this.options = options;
        this.readWrite = readWrite;
        this.log = log;
        this.applyArchiveOwners = HostFiles.isRoot(root);
    }

    /**
     * Creates the tree of {@code entries} in the empty directory {@code root}.
     *
     * @return the placeholders that still need their content, by file key
     * @throws IOException if the host refuses to create the tree (for example, the disk is full)
     */
    static Map<Object, ArchiveEntry> build(Path root, List<ArchiveEntry> entries, MountOptions options,
                                           boolean readWrite, MountLog log) throws IOException {
        return build(root, entries, options, readWrite, log, new java.util.HashMap<>());
    }

    /**
     * Creates the tree as {@link #build(Path, List, MountOptions, boolean, MountLog)} does, and
     * fills {@code shownOwners} with the archive's owner of each host file that could not take
     * it (kmview not running as root), by file key, for stat to show.
     */
    static Map<Object, ArchiveEntry> build(Path root, List<ArchiveEntry> entries, MountOptions options,
                                           boolean readWrite, MountLog log,
                                           Map<Object, org.kmview.spi.Owner> shownOwners) throws IOException {
        Skeleton skeleton = new Skeleton(root, options, readWrite, log, shownOwners);
        skeleton.create(latestByPath(entries, log));
        return skeleton.pending;
    }

    /** Keeps the last entry of each path, as tar does when it extracts an appended archive. */
    private static Map<String, ArchiveEntry> latestByPath(List<ArchiveEntry> entries, MountLog log) {
        Map<String, ArchiveEntry> latest = new LinkedHashMap<>();
        for (ArchiveEntry entry : entries) {
            var normal = EntryPaths.normalise(entry.path());
            if (normal.isEmpty()) {
                log.error("skipped entry " + entry.path() + ": it contains \"..\" and would lie outside the tree");
                continue;
            }
            latest.remove(normal.get());
            latest.put(normal.get(), rename(entry, normal.get()));
        }
        return latest;
    }

    private static ArchiveEntry rename(ArchiveEntry entry, String path) {
        return new ArchiveEntry(path, entry.kind(), entry.size(), entry.mode(), entry.mtime(), entry.atime(),
                entry.uid(), entry.gid(), entry.linkTarget(), entry.content());
    }

    private void create(Map<String, ArchiveEntry> entries) throws IOException {
        for (ArchiveEntry entry : entries.values()) {
            if (entry.kind() == EntryKind.DIRECTORY) {
                createDirectory(entry);
            }
        }
        for (ArchiveEntry entry : entries.values()) {
            if (entry.kind() == EntryKind.FILE) {
                createFile(entry);
            }
        }
        for (ArchiveEntry entry : entries.values()) {
            if (entry.kind() == EntryKind.HARD_LINK) {
                createHardLink(entry);
            }
        }
        for (ArchiveEntry entry : entries.values()) {
            if (entry.kind() == EntryKind.SYMLINK) {
                createSymlink(entry);
            }
        }
        finishDirectories();
    }

    private void createDirectory(ArchiveEntry entry) throws IOException {
        directories.put(entry.path(), entry);
        if (!entry.path().isEmpty() && parentReady(entry)) {
            Path path = root.resolve(entry.path());
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            try {
                Files.createDirectory(path);
            } catch (FileAlreadyExistsException e) {
                directories.remove(entry.path());
                log.error("skipped directory " + entry.path() + ": a file of that name exists");
            }
        }
    }

    private void createFile(ArchiveEntry entry) throws IOException {
        if (!parentReady(entry)) {
            return;
        }
        Path path = root.resolve(entry.path());
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            log.error("skipped file " + entry.path() + ": a directory of that name exists");
            return;
        }
        if (entry.size() > 0) {
            // setLength extends with a hole, so the placeholder takes no disk blocks.
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(entry.size());
            }
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            pending.put(key, entry);
        }
        applyAttributes(path, entry, fileMode(entry));
    }

    private void createHardLink(ArchiveEntry entry) throws IOException {
        if (!parentReady(entry)) {
            return;
        }
        Path path = root.resolve(entry.path());
        var target = EntryPaths.normalise(entry.linkTarget());
        if (target.isEmpty() || !Files.isRegularFile(root.resolve(target.get()), LinkOption.NOFOLLOW_LINKS)) {
            log.error("skipped hard link " + entry.path() + ": its target " + entry.linkTarget()
                    + " is not a file of the archive");
            return;
        }
        try {
            Files.createLink(path, root.resolve(target.get()));
        } catch (FileAlreadyExistsException e) {
            log.error("skipped hard link " + entry.path() + ": a directory of that name exists");
        }
    }

    private void createSymlink(ArchiveEntry entry) throws IOException {
        if (!parentReady(entry)) {
            return;
        }
        Path path = root.resolve(entry.path());
        try {
            Files.createSymbolicLink(path, path.getFileSystem().getPath(entry.linkTarget()));
        } catch (FileAlreadyExistsException e) {
            log.error("skipped symbolic link " + entry.path() + ": other entries lie below that name");
            return;
        }
        owner(path, entry);
        HostFiles.setTimes(path, entry.mtime(), entry.atime());
    }

    /**
     * Creates the missing parents of {@code entry} as directories with default attributes and
     * returns whether the parent is a directory. A parent that is a file makes the entry invalid.
     */
    private boolean parentReady(ArchiveEntry entry) throws IOException {
        String parent = EntryPaths.parent(entry.path());
        List<String> missing = new ArrayList<>();
        for (String ancestor = parent; !ancestor.isEmpty(); ancestor = EntryPaths.parent(ancestor)) {
            Path path = root.resolve(ancestor);
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                break;
            }
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                log.error("skipped entry " + entry.path() + ": its parent " + ancestor + " is not a directory");
                return false;
            }
            missing.add(0, ancestor);
        }
        for (String ancestor : missing) {
            Files.createDirectory(root.resolve(ancestor));
            directories.putIfAbsent(ancestor, ArchiveEntry.directory(ancestor, ArchiveEntry.UNKNOWN, now));
        }
        return true;
    }

    /** Sets directory modes and times deepest first, after all their entries exist. */
    private void finishDirectories() throws IOException {
        List<ArchiveEntry> deepestFirst = new ArrayList<>(directories.values());
        deepestFirst.sort(Comparator.comparingInt((ArchiveEntry entry) -> depth(entry.path())).reversed());
        for (ArchiveEntry entry : deepestFirst) {
            Path path = entry.path().isEmpty() ? root : root.resolve(entry.path());
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                applyAttributes(path, entry, directoryMode(entry));
            }
        }
        if (!directories.containsKey("")) {
            HostFiles.setMode(root, directoryMode(ArchiveEntry.directory("", ArchiveEntry.UNKNOWN, now)));
        }
    }

    private void applyAttributes(Path path, ArchiveEntry entry, int mode) throws IOException {
        owner(path, entry);
        HostFiles.setMode(path, mode);
        HostFiles.setTimes(path, entry.mtime(), entry.atime());
    }

    /** Gives {@code path} the owner that {@code uid=}/{@code gid=} or, as root, the archive sets. */
    private void owner(Path path, ArchiveEntry entry) {
        long uid = options.uid().orElse(applyArchiveOwners ? entry.uid() : ArchiveEntry.UNKNOWN);
        long gid = options.gid().orElse(applyArchiveOwners ? entry.gid() : ArchiveEntry.UNKNOWN);
        if (!applyArchiveOwners && entry.uid() != ArchiveEntry.UNKNOWN && entry.gid() != ArchiveEntry.UNKNOWN) {
            try {
                Object key = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
                if (key != null) {
                    shownOwners.put(key, new org.kmview.spi.Owner((int) entry.uid(), (int) entry.gid()));
                }
            } catch (IOException e) {
                log.event(() -> "cannot read the file key of " + entry.path() + ": " + e);
            }
        }
        try {
            HostFiles.setOwner(path, uid, gid);
        } catch (IOException e) {
            if (!ownerFailureLogged) {
                ownerFailureLogged = true;
                log.error("cannot set owner " + uid + " and group " + gid + " on " + entry.path()
                        + " (only root may, so the files keep the owner running kmview): " + e);
            }
        }
    }

    private int fileMode(ArchiveEntry entry) {
        int mode = entry.mode() == ArchiveEntry.UNKNOWN ? DEFAULT_FILE_MODE : entry.mode();
        return restrict(options.fileMode().orElse(mode));
    }

    private int directoryMode(ArchiveEntry entry) {
        return restrict(entry.mode() == ArchiveEntry.UNKNOWN ? DEFAULT_DIRECTORY_MODE : entry.mode());
    }

    /**
     * Applies {@code umask=}. A read-only mount keeps the archive's write bits, as a read-only
     * mount of the kernel shows them: kmview refuses every change below it with EROFS.
     */
    private int restrict(int mode) {
        return mode & ~options.umask().orElse(0);
    }

    private static int depth(String path) {
        return path.isEmpty() ? 0 : path.split("/").length;
    }
}
