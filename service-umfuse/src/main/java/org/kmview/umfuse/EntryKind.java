package org.kmview.umfuse;

/** The kinds of archive entries that the service shows; other kinds (devices, FIFOs) are skipped. */
enum EntryKind {
    DIRECTORY,
    FILE,
    SYMLINK,
    /** A tar or cpio hard link: another name for the file at {@link ArchiveEntry#linkTarget()}. */
    HARD_LINK
}
