package org.kmview.spi;

/**
 * A change a system call is about to make at a path below a mount that keeps its own copies of
 * what lies below it ({@link VirtualMount#tracksChanges}), such as viewfs {@code cow}.
 */
public enum Change {
    /**
     * The call writes the entry, its content or its attributes, or creates it: open for writing,
     * truncate, chmod, chown, utimensat, setxattr, mkdir, mknod, symlink, both paths of link, and
     * the new path of rename.
     */
    WRITE,
    /**
     * The old path of rename: the entry moves away whole, so a mount with layers brings all of it
     * into one layer first (a directory with everything below it).
     */
    MOVE,
    /** unlink, or unlinkat without AT_REMOVEDIR. */
    REMOVE_FILE,
    /** rmdir, or unlinkat with AT_REMOVEDIR. */
    REMOVE_DIRECTORY
}
