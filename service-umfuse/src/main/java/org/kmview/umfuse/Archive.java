package org.kmview.umfuse;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * An opened archive or image: its index, and the open files that entry content is read from.
 * The entries stay readable until {@link #close}.
 */
interface Archive extends Closeable {

    /** Returns every entry, in archive order; a later entry of the same path replaces an earlier one. */
    List<ArchiveEntry> entries();

    /**
     * Writes {@code tree} as the new content of the source, replacing it only once the new copy is
     * complete and on disk.
     *
     * @param tree the tree at unmount, parents before children; the content of files left
     *        unmaterialised reads from this archive
     * @param removed the paths of the mount-time tree that no longer exist
     * @throws IOException if writing fails; the source is then unchanged
     * @throws UnsupportedOperationException if the format is read-only
     */
    default void writeBack(List<TreeNode> tree, List<String> removed) throws IOException {
        throw new UnsupportedOperationException("this format is read-only");
    }

    /**
     * Returns whether the tree may have changes that the recorded node states do not show (the
     * extended attributes a FUSE daemon keeps), so {@link #writeBack} must run even for a tree
     * whose nodes all look unchanged.
     */
    default boolean hasUntrackedChanges() {
        return false;
    }

    /**
     * Writes single entries, each new or changed, parents before children, while the source
     * stays mounted; a file's content comes from {@link ArchiveEntry#content()}.
     *
     * @param durable whether the source must also have them on disk when this returns (fsync)
     * @throws IOException if writing fails
     * @throws UnsupportedOperationException if the format is written whole at unmount only
     */
    default void writeEntries(List<ArchiveEntry> entries, boolean durable) throws IOException {
        throw new UnsupportedOperationException("this format is written whole at unmount");
    }

    @Override
    void close() throws IOException;
}
