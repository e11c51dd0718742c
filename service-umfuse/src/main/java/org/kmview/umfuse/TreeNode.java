package org.kmview.umfuse;

/**
 * One node of the tree at unmount.
 *
 * @param entry the node as an entry; a hard link appears as a file of its own
 * @param unchanged whether the node has the same path, kind, size, times, mode and link target as
 *        at mount, so a format that updates in place may skip it
 */
record TreeNode(ArchiveEntry entry, boolean unchanged) {
}
