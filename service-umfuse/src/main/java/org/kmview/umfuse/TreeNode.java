package org.kmview.umfuse;

/**
 * One node of the tree at unmount.
 *
 * @param entry the node as an entry; a hard link appears as a file of its own
 * @param unchanged whether the node has the same path, kind, size, times, mode and link target as
 *        at mount, so a format that updates in place may skip it
 * @param movedFrom the path the node had at mount, when it was only renamed since: the same
 *        kind, size, times, mode and link target there. A format that can rename may use it.
 *        Null otherwise.
 * @param linkOf an earlier node's path of the same file, when this node is another name for
 *        it. A format that has hard links may link it. Null otherwise.
 */
record TreeNode(ArchiveEntry entry, boolean unchanged, String movedFrom, String linkOf) {

    /** Creates a node that was neither renamed nor linked. */
    TreeNode(ArchiveEntry entry, boolean unchanged) {
        this(entry, unchanged, null, null);
    }
}
