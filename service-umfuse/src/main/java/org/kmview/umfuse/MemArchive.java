package org.kmview.umfuse;

import java.util.List;

/**
 * The empty source of a {@code umfusemem} mount. The private host directory is the memory file
 * system itself, so there is nothing to read at mount and nothing to write at unmount.
 */
final class MemArchive implements Archive {

    @Override
    public List<ArchiveEntry> entries() {
        return List.of();
    }

    /** Writes nothing: the tree is deleted at unmount. */
    @Override
    public void writeBack(List<TreeNode> tree, List<String> removed) {
    }

    @Override
    public void close() {
    }
}
