package org.kmview.spi;

import java.util.Objects;

/**
 * A change that a process makes by path below a mount (or an access check), described for a mount whose source
 * decides first whether it may happen ({@link VirtualMount#forwardsOperations}): a FUSE daemon
 * refuses a change to a read-only file system, or one its permission checks deny, before the
 * kernel makes it in kmview's private copy. Paths are relative to the mount point.
 */
public sealed interface Operation {

    /** Returns the path the operation changes, or its first path. */
    String path();

    /** {@code mkdir}. */
    record MakeDirectory(String path, int mode) implements Operation {
    }

    /** A new regular file: open or openat with O_CREAT of a missing path, creat, mknod of S_IFREG. */
    record Create(String path, int mode) implements Operation {
    }

    /** {@code mknod} of a FIFO, socket or device node; {@code mode} includes the file type. */
    record MakeNode(String path, int mode, long device) implements Operation {
    }

    /**
     * {@code access}: not a change, but a source that decides on changes decides what access
     * allows too. {@code mask} is R_OK, W_OK and X_OK, or F_OK.
     */
    record CheckAccess(String path, int mask) implements Operation {
    }

    /** An open for writing, or with O_TRUNC, of an existing file. */
    record OpenForWriting(String path, int flags) implements Operation {
    }

    /** {@code unlink} ({@code directory} false) or {@code rmdir}. */
    record Remove(String path, boolean directory) implements Operation {
    }

    /** {@code rename}, {@code renameat} or {@code renameat2} within the mount. */
    record Rename(String path, String target, long flags) implements Operation {
        /** Checks the target. */
        public Rename {
            Objects.requireNonNull(target, "target");
        }
    }

    /** {@code link}: {@code target} becomes another name of {@code path}. */
    record Link(String path, String target) implements Operation {
    }

    /** {@code symlink}: a symbolic link at {@code path} to {@code linkTarget}. */
    record Symlink(String path, String linkTarget) implements Operation {
    }

    /** {@code chmod}. */
    record SetMode(String path, int mode) implements Operation {
    }

    /** {@code chown}; -1 leaves the owner or the group as it is. */
    record SetOwner(String path, int uid, int gid) implements Operation {
    }

    /** {@code truncate}. */
    record Truncate(String path, long size) implements Operation {
    }

    /**
     * {@code utimensat} and the older calls; a time of -1 leaves it as it is, and
     * {@code now} sets both unset times to the current time.
     */
    record SetTimes(String path, long atimeNanos, long mtimeNanos, boolean now) implements Operation {
    }

    /** {@code setxattr}. */
    record SetAttribute(String path, String name, byte[] value, int flags) implements Operation {
        /** Shows the value's length, not its bytes. */
        @Override
        public String toString() {
            return "SetAttribute[path=" + path + ", name=" + name + ", " + value.length + " bytes, flags=" + flags + "]";
        }
    }

    /** {@code removexattr}. */
    record RemoveAttribute(String path, String name) implements Operation {
    }
}
