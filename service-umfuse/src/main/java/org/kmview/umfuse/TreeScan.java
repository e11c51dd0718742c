package org.kmview.umfuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The state of a mount's host tree at one moment: for each path below the root, parents before
 * children and siblings by name, what it is and the attributes that a change shows in.
 */
final class TreeScan {

    /**
     * The attributes of one node that a change shows in. Access time and owner are left out, so
     * reading a file or materialising it does not count as a change.
     */
    record NodeState(EntryKind kind, long size, FileTime mtime, int mode, String linkTarget) {
    }

    /** One scanned node, with the attributes a write-back needs. */
    record Node(String path, NodeState state, FileTime atime, long uid, long gid, Object fileKey) {
    }

    private final Map<String, Node> nodes;

    private TreeScan(Map<String, Node> nodes) {
        this.nodes = nodes;
    }

    /**
     * Scans the tree below {@code root}, not following symbolic links. Sockets, FIFOs and devices
     * that a process created in the tree are left out, because no format of this service stores them.
     */
    static TreeScan of(Path root) throws IOException {
        Map<String, Node> nodes = new LinkedHashMap<>();
        scanDirectory(root, "", nodes);
        return new TreeScan(nodes);
    }

    /**
     * Scans the single node {@code relative} below {@code root}; empty if it does not exist or
     * is of a kind the scan leaves out.
     */
    static Optional<Node> node(Path root, String relative) throws IOException {
        Map<String, Node> found = new LinkedHashMap<>();
        if (!Files.exists(root.resolve(relative), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        scanChild(root, relative, found, false);
        return Optional.ofNullable(found.get(relative));
    }

    /** Records {@code node} as scanned, replacing the node of the same path. */
    void put(Node node) {
        nodes.put(node.path(), node);
    }

    /** Drops {@code path} and every node below it. */
    void removeTree(String path) {
        nodes.keySet().removeIf(known -> known.equals(path) || known.startsWith(path + "/"));
    }

    /** Moves {@code from} and every node below it to {@code to}, replacing what was there. */
    void moveTree(String from, String to) {
        removeTree(to);
        Map<String, Node> moved = new LinkedHashMap<>();
        nodes.entrySet().removeIf(known -> {
            String path = known.getKey();
            if (path.equals(from) || path.startsWith(from + "/")) {
                String renamed = to + path.substring(from.length());
                Node node = known.getValue();
                moved.put(renamed, new Node(renamed, node.state(), node.atime(), node.uid(), node.gid(), node.fileKey()));
                return true;
            }
            return false;
        });
        nodes.putAll(moved);
    }

    /** Returns the nodes by path, parents before children. */
    Map<String, Node> nodes() {
        return nodes;
    }

    /** Returns whether any node was added, removed or changed since {@code before}. */
    boolean differsFrom(TreeScan before) {
        if (!nodes.keySet().equals(before.nodes.keySet())) {
            return true;
        }
        for (Node node : nodes.values()) {
            if (!node.state().equals(before.nodes.get(node.path()).state())) {
                return true;
            }
        }
        return false;
    }

    private static void scanDirectory(Path root, String relative, Map<String, Node> nodes) throws IOException {
        Path directory = relative.isEmpty() ? root : root.resolve(relative);
        List<Path> children;
        try (Stream<Path> listing = Files.list(directory)) {
            children = listing.sorted().toList();
        }
        for (Path child : children) {
            String path = relative.isEmpty() ? child.getFileName().toString()
                    : relative + "/" + child.getFileName();
            scanChild(root, path, nodes, true);
        }
    }

    private static void scanChild(Path root, String path, Map<String, Node> nodes, boolean recurse)
            throws IOException {
        Path child = root.resolve(path);
        BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        EntryKind kind;
        String linkTarget = null;
        if (attributes.isDirectory()) {
            kind = EntryKind.DIRECTORY;
        } else if (attributes.isRegularFile()) {
            kind = EntryKind.FILE;
        } else if (attributes.isSymbolicLink()) {
            kind = EntryKind.SYMLINK;
            linkTarget = Files.readSymbolicLink(child).toString();
        } else {
            return;
        }
        int mode = kind == EntryKind.SYMLINK ? 0777 : HostFiles.mode(child);
        long size = kind == EntryKind.FILE ? attributes.size() : 0;
        NodeState state = new NodeState(kind, size, attributes.lastModifiedTime(), mode, linkTarget);
        long uid = (Integer) Files.getAttribute(child, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        long gid = (Integer) Files.getAttribute(child, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        nodes.put(path, new Node(path, state, attributes.lastAccessTime(), uid, gid, attributes.fileKey()));
        if (recurse && kind == EntryKind.DIRECTORY) {
            scanDirectory(root, path, nodes);
        }
    }
}
