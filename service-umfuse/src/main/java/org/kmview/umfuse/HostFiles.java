package org.kmview.umfuse;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;

/** Helpers for the host files behind a mount: modes, times, deletion, atomic replacement. */
final class HostFiles {

    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private HostFiles() {
    }

    /** Returns the permission bits ({@code 07777}) of {@code path}, not following a symbolic link. */
    static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", NOFOLLOW) & 07777;
    }

    /** Sets the permission bits of {@code path}, including set-user-ID, set-group-ID and sticky. */
    static void setMode(Path path, int mode) throws IOException {
        Files.setAttribute(path, "unix:mode", mode & 07777, NOFOLLOW);
    }

    /** Sets the modification and, if not null, access time of {@code path}, not following a link. */
    static void setTimes(Path path, FileTime mtime, FileTime atime) throws IOException {
        BasicFileAttributeView view = Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW);
        view.setTimes(mtime, atime, null);
    }

    /** Sets the numeric owner and group of {@code path}, not following a link; a negative id is left alone. */
    static void setOwner(Path path, long uid, long gid) throws IOException {
        if (uid >= 0) {
            Files.setAttribute(path, "unix:uid", (int) uid, NOFOLLOW);
        }
        if (gid >= 0) {
            Files.setAttribute(path, "unix:gid", (int) gid, NOFOLLOW);
        }
    }

    /** Returns whether the process may change file owners, judged by the owner of a file it created. */
    static boolean isRoot(Path ownFile) {
        try {
            return (Integer) Files.getAttribute(ownFile, "unix:uid", NOFOLLOW) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * Deletes {@code root} and everything below it, first giving directories the owner write and
     * search permission that deleting their entries needs.
     */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, NOFOLLOW)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                setMode(dir, mode(dir) | 0700);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** A step that writes a complete new image into a file. */
    @FunctionalInterface
    interface ImageWriter {
        void write(Path newImage) throws IOException;
    }

    /**
     * Replaces {@code source} with an image that {@code writer} writes: into a temporary file in
     * the same directory, which is then flushed to disk and moved over the source atomically. A
     * crash leaves either the old or the new image, never a partial one, plus possibly the
     * temporary file. The new image gets the source's permission bits and, where permitted, owner.
     *
     * @throws IOException if writing, flushing or moving fails; the source is then unchanged
     */
    static void replaceAtomically(Path source, ImageWriter writer) throws IOException {
        Path target = source.toRealPath();
        Path directory = target.getParent();
        Path temporary = Files.createTempFile(directory, "." + target.getFileName() + ".", ".umfuse-new");
        try {
            writer.write(temporary);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            copyOwnerAndMode(target, temporary);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        syncDirectory(directory);
    }

    private static void copyOwnerAndMode(Path from, Path to) throws IOException {
        setMode(to, mode(from));
        PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        try {
            view.setOwner(Files.getOwner(from));
            view.setGroup(Files.readAttributes(from, PosixFileAttributes.class).group());
        } catch (IOException e) {
            // Only root may give a file away; the new image then belongs to the user running kmview.
        }
    }

    /** Flushes a directory so that a rename in it survives a crash. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems reject fsync on a directory; the rename itself has completed.
        }
    }
}
