package org.kmview.viewfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.kmview.spi.Change;
import org.kmview.spi.Errno;
import org.kmview.spi.LowerLayer;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * viewfs {@code cow} and {@code mincow}: SRC (the upper tree) over what the view showed at the
 * mount point (the lower layer). Reads see an entry of SRC if there is one, else the lower one.
 * Before a call changes a lower entry, the entry is copied up into SRC (content, mode, owner where
 * permitted, times, symlink target, user xattrs), so the lower layer never changes; a removed lower
 * entry becomes a whiteout ({@link WhiteoutStore}). With {@code mincow}, a change goes to the lower
 * entry itself where the user may write there, and is copied up only where not.
 *
 * <p>A directory renamed away from the lower layer is copied up whole, up to
 * {@link #RENAME_COPY_LIMIT} entries; a larger one fails with EXDEV, as overlayfs does without
 * redirect_dir, and tools such as mv then copy it themselves.
 */
final class CowMount implements VirtualMount {

    /** Maximum number of entries a directory rename copies up; a larger directory fails with EXDEV. */
    static final int RENAME_COPY_LIMIT = 10_000;

    private final Path upper;
    private final boolean minimal;
    private final WhiteoutStore store;

    CowMount(Path upper, boolean minimal) throws IOException {
        this.upper = upper;
        this.minimal = minimal;
        this.store = WhiteoutStore.load(upper);
    }

    @Override
    public synchronized PathMapping map(String relative) {
        if (relative.equals(WhiteoutStore.DIRECTORY) || relative.startsWith(WhiteoutStore.DIRECTORY + "/")) {
            return PathMapping.hidden();
        }
        Path path = upperPath(relative);
        if (relative.isEmpty() || existsInUpper(path)) {
            return PathMapping.host(path.toString());
        }
        if (hiddenBelow(relative)) {
            // Deleted in the view: stat of the missing upper entry fails with ENOENT, and a new file goes there.
            return PathMapping.host(path.toString());
        }
        return PathMapping.below();
    }

    /**
     * Returns whether an entry exists at {@code path}, a dangling symbolic link included. The
     * view maps every path component through here, and most are missing from SRC: java.io.File
     * reports a missing file without the NoSuchFileException that {@link Files#exists} creates
     * and catches, which cost about 7 microseconds per call against 1 on the benchmark machine.
     */
    private static boolean existsInUpper(Path path) {
        java.io.File file = path.toFile();
        if (file.exists()) {
            return true;
        }
        // Missing, or a symbolic link to a missing target: either needs an existing parent directory.
        java.io.File parent = file.getParentFile();
        return parent != null && parent.isDirectory() && Files.isSymbolicLink(path);
    }

    /** Returns whether the lower entry at {@code relative} is hidden by a whiteout or an opaque directory. */
    private boolean hiddenBelow(String relative) {
        for (String prefix = relative; !prefix.isEmpty(); prefix = parent(prefix)) {
            if (store.isWhiteout(prefix)) {
                return true;
            }
            String parent = parent(prefix);
            if (!parent.isEmpty() && store.isOpaque(parent) && Files.isDirectory(upperPath(parent), LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Optional<String> hostRoot() {
        return Optional.of(upper.toString());
    }

    @Override
    public boolean mergesListings() {
        return true;
    }

    @Override
    public boolean tracksChanges() {
        return true;
    }

    /** Only whiteouts hide names of a directory that exists only below. */
    @Override
    public synchronized boolean hidesNamesBelow(String relativeDir) {
        return store.hasWhiteoutsIn(relativeDir);
    }

    @Override
    public synchronized Optional<PathMapping> prepareChange(String relative, Change change, LowerLayer lower)
            throws ServiceException {
        if (relative.isEmpty() || isStore(relative)) {
            return Optional.of(map(relative));
        }
        try {
            return switch (change) {
                case WRITE -> Optional.of(prepareWrite(relative, lower));
                case MOVE -> Optional.of(prepareMove(relative, lower));
                case REMOVE_FILE, REMOVE_DIRECTORY -> remove(relative, change == Change.REMOVE_DIRECTORY, lower);
            };
        } catch (ServiceException e) {
            throw e;
        } catch (IOException | UncheckedIOException e) {
            throw failure(relative, e instanceof UncheckedIOException unchecked ? unchecked.getCause() : (IOException) e);
        }
    }

    private static boolean isStore(String relative) {
        return relative.equals(WhiteoutStore.DIRECTORY) || relative.startsWith(WhiteoutStore.DIRECTORY + "/");
    }

    /** Copies the entry up, or its parents for a new name, and returns its mapping in SRC. */
    private PathMapping prepareWrite(String relative, LowerLayer lower) throws IOException, ServiceException {
        Path target = upperPath(relative);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return PathMapping.host(target.toString());
        }
        Optional<Path> below = lowerEntry(relative, lower);
        if (minimal && writableBelow(relative, below, lower)) {
            return PathMapping.below();
        }
        copyUpParents(relative, lower);
        if (below.isPresent()) {
            copyUp(below.get(), target);
        } else if (store.removeWhiteout(relative)) {
            // A name created over a whiteout: a directory made there must not show the old contents.
            store.addOpaque(relative);
        }
        return PathMapping.host(target.toString());
    }

    /**
     * Brings everything the view shows at {@code relative} into SRC before a rename moves it
     * away: a directory with all its lower entries that SRC lacks, except those whited out. The
     * entries are counted first, so a directory with more than {@link #RENAME_COPY_LIMIT} to copy
     * fails with EXDEV before anything is copied.
     */
    private PathMapping prepareMove(String relative, LowerLayer lower) throws IOException, ServiceException {
        Optional<Path> below = lowerEntry(relative, lower);
        Path target = upperPath(relative);
        boolean inUpper = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (below.isEmpty() || !Files.isDirectory(below.get(), LinkOption.NOFOLLOW_LINKS)) {
            return prepareWrite(relative, lower);
        }
        if (minimal && !inUpper && writableBelow(relative, below, lower)) {
            return PathMapping.below();
        }
        if (inUpper && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            // SRC contains a non-directory over the lower directory, and the view shows that entry.
            return PathMapping.host(target.toString());
        }
        int[] budget = {RENAME_COPY_LIMIT};
        countMissing(relative, below.get(), budget);
        copyUpParents(relative, lower);
        if (!inUpper) {
            Files.createDirectory(target);
            copyAttributes(below.get(), target);
        }
        copyMissing(relative, below.get(), target);
        return PathMapping.host(target.toString());
    }

    /** Counts the lower entries below a directory that SRC lacks; throws EXDEV past the budget. */
    private void countMissing(String relative, Path lowerDir, int[] budget) throws IOException, ServiceException {
        if (store.isOpaque(relative) && Files.isDirectory(upperPath(relative), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(lowerDir)) {
            for (Path entry : entries) {
                String child = join(relative, entry.getFileName().toString());
                if (store.isWhiteout(child)) {
                    continue;
                }
                Path upperChild = upperPath(child);
                boolean inUpper = Files.exists(upperChild, LinkOption.NOFOLLOW_LINKS);
                if (!inUpper && --budget[0] < 0) {
                    throw new ServiceException(Errno.EXDEV, "rename of a directory with more than "
                            + RENAME_COPY_LIMIT + " entries to copy up: " + relative);
                }
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
                        && (!inUpper || Files.isDirectory(upperChild, LinkOption.NOFOLLOW_LINKS))) {
                    countMissing(child, entry, budget);
                }
            }
        }
    }

    /** Copies the lower entries below a directory that SRC lacks, skipping whiteouts, into SRC. */
    private void copyMissing(String relative, Path lowerDir, Path upperDir) throws IOException {
        if (store.isOpaque(relative)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(lowerDir)) {
            for (Path entry : entries) {
                String child = join(relative, entry.getFileName().toString());
                if (store.isWhiteout(child)) {
                    continue;
                }
                Path upperChild = upperDir.resolve(entry.getFileName().toString());
                boolean inUpper = Files.exists(upperChild, LinkOption.NOFOLLOW_LINKS);
                boolean directory = Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS);
                if (!inUpper) {
                    copyUp(entry, upperChild);
                }
                if (directory && Files.isDirectory(upperChild, LinkOption.NOFOLLOW_LINKS)) {
                    copyMissing(child, entry, upperChild);
                    if (!inUpper) {
                        copyAttributes(entry, upperChild);
                    }
                }
            }
        }
    }

    /** With mincow: whether the user may change the lower entry, or create it in the lower parent. */
    private boolean writableBelow(String relative, Optional<Path> below, LowerLayer lower) {
        if (below.isPresent()) {
            return Files.isWritable(below.get()) && !Files.isSymbolicLink(below.get());
        }
        String parentName = parent(relative);
        Optional<Path> parent = parentName.isEmpty() ? lower.hostPath("").map(Path::of) : lowerEntry(parentName, lower);
        // A directory copied up already takes its new names in SRC, so they list with its copy.
        boolean parentCopiedUp = !parentName.isEmpty() && Files.exists(upperPath(parentName), LinkOption.NOFOLLOW_LINKS);
        return parent.isPresent() && !parentCopiedUp && Files.isDirectory(parent.get())
                && Files.isWritable(parent.get()) && !store.isWhiteout(relative);
    }

    /** Removes a name: the upper entry through the kernel, a lower one as a whiteout. */
    private Optional<PathMapping> remove(String relative, boolean directory, LowerLayer lower)
            throws IOException, ServiceException {
        Path upperEntry = upperPath(relative);
        boolean inUpper = Files.exists(upperEntry, LinkOption.NOFOLLOW_LINKS);
        Optional<Path> below = lowerEntry(relative, lower);
        if (!inUpper && below.isEmpty()) {
            // Nothing to remove: the kernel fails with ENOENT on the upper path.
            return Optional.of(PathMapping.host(upperEntry.toString()));
        }
        Path shown = inUpper ? upperEntry : below.get();
        boolean isDirectory = Files.isDirectory(shown, LinkOption.NOFOLLOW_LINKS);
        if (directory && !isDirectory) {
            throw new ServiceException(Errno.ENOTDIR, "not a directory: " + relative);
        }
        if (!directory && isDirectory) {
            throw new ServiceException(Errno.EISDIR, "is a directory: " + relative);
        }
        if (directory && !mergedEmpty(relative, lower)) {
            throw new ServiceException(Errno.ENOTEMPTY, "directory not empty: " + relative);
        }
        if (minimal && !inUpper && Files.isWritable(shown.getParent())) {
            return Optional.of(PathMapping.below());
        }
        if (inUpper) {
            if (below.isEmpty()) {
                // Only in SRC: the kernel removes it, with its own checks and errors.
                return Optional.of(PathMapping.host(upperEntry.toString()));
            }
            Files.delete(upperEntry);
        }
        store.addWhiteout(relative);
        return Optional.empty();
    }

    /** Returns whether the directory shows no entries in the view: none in SRC, none left below. */
    private boolean mergedEmpty(String relative, LowerLayer lower) throws IOException {
        Path upperDir = upperPath(relative);
        if (Files.isDirectory(upperDir, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(upperDir)) {
                for (Path entry : entries) {
                    if (!(relative.isEmpty() && isStore(entry.getFileName().toString()))) {
                        return false;
                    }
                }
            }
            if (store.isOpaque(relative)) {
                return true;
            }
        }
        Optional<Path> below = lowerEntry(relative, lower);
        if (below.isEmpty() || !Files.isDirectory(below.get())) {
            return true;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(below.get())) {
            for (Path entry : entries) {
                String child = join(relative, entry.getFileName().toString());
                if (!store.isWhiteout(child)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public synchronized void movedAway(String relative, LowerLayer lower) {
        try {
            if (!minimal || !Files.exists(upperPath(relative), LinkOption.NOFOLLOW_LINKS)) {
                if (lowerEntry(relative, lower).isPresent()) {
                    store.addWhiteout(relative);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record a whiteout for " + relative, e);
        }
    }

    /** Returns the lower entry at {@code relative}, if the lower layer shows one and no whiteout hides it. */
    private Optional<Path> lowerEntry(String relative, LowerLayer lower) {
        if (hiddenBelow(relative)) {
            return Optional.empty();
        }
        return lower.hostPath(relative).map(Path::of).filter(path -> Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }

    /**
     * Creates the missing parent directories of {@code relative} in SRC, with their lower
     * attributes. A parent that exists in no layer fails with ENOENT, and one that is no
     * directory with ENOTDIR, as the kernel does for the path.
     */
    private void copyUpParents(String relative, LowerLayer lower) throws IOException, ServiceException {
        String parent = parent(relative);
        if (parent.isEmpty()) {
            return;
        }
        Path upperParent = upperPath(parent);
        if (Files.exists(upperParent, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(upperParent, LinkOption.NOFOLLOW_LINKS)) {
                throw new ServiceException(Errno.ENOTDIR, "not a directory: " + parent);
            }
            return;
        }
        Optional<Path> below = lowerEntry(parent, lower);
        if (below.isEmpty()) {
            throw new ServiceException(Errno.ENOENT, "no such directory: " + parent);
        }
        if (!Files.isDirectory(below.get(), LinkOption.NOFOLLOW_LINKS)) {
            throw new ServiceException(Errno.ENOTDIR, "not a directory: " + parent);
        }
        copyUpParents(parent, lower);
        copyUp(below.get(), upperParent);
    }

    /**
     * Copies one lower entry to {@code target} in SRC: a file through a temporary name in the same
     * directory, so a failure (a full disk) leaves no partial copy; a directory as an empty
     * directory with the lower one's attributes.
     */
    private void copyUp(Path source, Path target) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            Files.createSymbolicLink(target, Files.readSymbolicLink(source));
            return;
        }
        if (attributes.isDirectory()) {
            Files.createDirectory(target);
            copyAttributes(source, target);
            return;
        }
        Path temporary = target.resolveSibling(".kmview-copy-up-" + target.getFileName());
        try {
            if (attributes.isRegularFile() && attributes.size() == 0) {
                // An empty file needs no read, so one the user may not read (a lock file) still copies up.
                Files.deleteIfExists(temporary);
                Files.createFile(temporary);
            } else {
                Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            }
            copyAttributes(source, temporary);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /** Copies mode, times, owner (where permitted) and user xattrs. */
    private static void copyAttributes(Path source, Path target) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(source, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributeView view = Files.getFileAttributeView(target, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        try {
            view.setOwner(attributes.owner());
            view.setGroup(attributes.group());
        } catch (IOException | SecurityException e) {
            // Only root may give a file away; the copy keeps the user's own owner then.
        }
        view.setPermissions(attributes.permissions());
        copyExtendedAttributes(source, target);
        view.setTimes(attributes.lastModifiedTime(), attributes.lastAccessTime(), null);
    }

    private static void copyExtendedAttributes(Path source, Path target) {
        UserDefinedFileAttributeView from = Files.getFileAttributeView(source, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        UserDefinedFileAttributeView to = Files.getFileAttributeView(target, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (from == null || to == null) {
            return;
        }
        try {
            for (String name : from.list()) {
                ByteBuffer value = ByteBuffer.allocate(from.size(name));
                from.read(name, value);
                value.flip();
                to.write(name, value);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // A file system without user xattrs has none to copy.
        }
    }

    private static ServiceException failure(String relative, IOException e) {
        String reason = e.getMessage() == null ? e.toString() : e.getMessage();
        Errno errno = Errno.EIO;
        if (e instanceof NoSuchFileException) {
            errno = Errno.ENOENT;
        } else if (e instanceof AccessDeniedException) {
            errno = Errno.EACCES;
        } else if (e instanceof DirectoryNotEmptyException) {
            errno = Errno.ENOTEMPTY;
        } else if (reason.contains("No space left")) {
            errno = Errno.ENOSPC;
        }
        return new ServiceException(errno, "copy-up of " + relative + " failed: " + reason);
    }

    private Path upperPath(String relative) {
        return relative.isEmpty() ? upper : upper.resolve(relative);
    }

    static String parent(String relative) {
        int slash = relative.lastIndexOf('/');
        return slash < 0 ? "" : relative.substring(0, slash);
    }

    static String join(String directory, String name) {
        return directory.isEmpty() ? name : directory + "/" + name;
    }

    /** Returns the names of the whiteouts in SRC, for the tests. */
    Set<String> whiteoutsIn(String relativeDir) {
        return new HashSet<>(store.whiteoutsIn(relativeDir));
    }
}
