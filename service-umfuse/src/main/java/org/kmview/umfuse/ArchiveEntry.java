package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * One entry of an archive index, or one node of the tree written back at unmount.
 *
 * @param path the path below the archive root, relative, with no {@code .} or {@code ..} components
 * @param kind what the entry is
 * @param size the content size in bytes of a file; 0 for other kinds
 * @param mode the permission bits ({@code 07777}), or {@link #UNKNOWN} if the format stores none
 * @param mtime the modification time
 * @param atime the access time, or null if the format stores none
 * @param uid the owner, or {@link #UNKNOWN}
 * @param gid the group, or {@link #UNKNOWN}
 * @param linkTarget the target of a symbolic link, the path of the file a hard link names, else null
 * @param content opens the content of a file; null for other kinds
 */
record ArchiveEntry(String path, EntryKind kind, long size, int mode, FileTime mtime, FileTime atime,
                    long uid, long gid, String linkTarget, Content content) {

    static final int UNKNOWN = -1;

    /** Opens the content of a file entry. Each call returns a new stream positioned at the start. */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    /** Checks the fields that every kind needs. */
    ArchiveEntry {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mtime, "mtime");
        if (kind == EntryKind.FILE && content == null) {
            throw new IllegalArgumentException("file entry " + path + " has no content");
        }
        if ((kind == EntryKind.SYMLINK || kind == EntryKind.HARD_LINK) && linkTarget == null) {
            throw new IllegalArgumentException(kind + " entry " + path + " has no link target");
        }
    }

    static ArchiveEntry directory(String path, int mode, FileTime mtime) {
        return new ArchiveEntry(path, EntryKind.DIRECTORY, 0, mode, mtime, null, UNKNOWN, UNKNOWN, null, null);
    }

    static ArchiveEntry file(String path, long size, int mode, FileTime mtime, Content content) {
        return new ArchiveEntry(path, EntryKind.FILE, size, mode, mtime, null, UNKNOWN, UNKNOWN, null, content);
    }

    static ArchiveEntry symlink(String path, String target, FileTime mtime) {
        return new ArchiveEntry(path, EntryKind.SYMLINK, 0, 0777, mtime, null, UNKNOWN, UNKNOWN, target, null);
    }

    /** Returns a copy with owner, group and access time set. */
    ArchiveEntry withOwner(long newUid, long newGid, FileTime newAtime) {
        return new ArchiveEntry(path, kind, size, mode, mtime, newAtime, newUid, newGid, linkTarget, content);
    }

    /** Returns the last path component. */
    String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
