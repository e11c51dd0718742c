package org.kmview.launcher.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Describes every entry below a directory as one line, so two trees written by the same commands
 * inside and outside a view can be compared with one assertEquals that shows the differing entries.
 */
final class FileTree {

    private FileTree() {
    }

    /**
     * Maps the relative path of every entry below {@code root}, root excluded, to its type and
     * permissions, plus the size and SHA-256 of a regular file or the target of a symbolic link.
     * Symbolic links are not followed.
     *
     * @param withModificationTimes whether descriptions include the modification time, which only
     *     makes sense for trees whose times were set on purpose (tar extraction, for example)
     * @param include which relative paths to describe; a directory that is left out is still walked
     */
    static Map<String, String> describe(Path root, boolean withModificationTimes, Predicate<String> include) {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                String relative = root.relativize(path).toString();
                if (relative.isEmpty() || !include.test(relative)) {
                    continue;
                }
                entries.put(relative, describeEntry(path, withModificationTimes));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("failed to walk " + root, e);
        }
        return entries;
    }

    /** Describes every entry below {@code root} without modification times. */
    static Map<String, String> describe(Path root) {
        return describe(root, false, relative -> true);
    }

    private static String describeEntry(Path path, boolean withModificationTimes) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        StringBuilder description = new StringBuilder();
        if (attributes.isSymbolicLink()) {
            description.append("symlink -> ").append(Files.readSymbolicLink(path));
        } else {
            description.append(attributes.isDirectory() ? "dir " : attributes.isRegularFile() ? "file " : "other ");
            description.append(PosixFilePermissions.toString(attributes.permissions()));
            if (attributes.isRegularFile()) {
                description.append(' ').append(attributes.size()).append(" bytes sha256 ").append(sha256(path));
            }
        }
        if (withModificationTimes && !attributes.isSymbolicLink()) {
            description.append(" mtime ").append(attributes.lastModifiedTime());
        }
        return description.toString();
    }

    /** Returns the SHA-256 of a file's content in hex. */
    static String sha256(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
