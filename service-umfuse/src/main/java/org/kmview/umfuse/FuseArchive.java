package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The file system of a FUSE daemon in the view, read and written through FUSE requests. The first
 * use of the mount lists the whole tree, names and attributes without content. A file's content is
 * read when a process first opens it, and the changed tree is written back with the requests the
 * kernel would have sent for the same changes.
 *
 * <p>Used on the tracer thread only.
 */
final class FuseArchive implements Archive {

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_TRUNC = 01000;
    private static final int O_DIRECTORY = 0200000;
    private static final int ENOENT = 2;
    private static final int ENOSYS = 38;
    private static final long RENAME_EXCHANGE = 2;
    private static final int EINVAL = 22;
    /** The protocol minor version that brought RENAME2. */
    private static final int RENAME2_MINOR = 23;
    private static final int ENODATA = 61;
    private static final int ERANGE = 34;
    private static final int EOPNOTSUPP = 95;
    /** The namespace of extended attributes any user may set, which new entries take to the daemon. */
    private static final String USER_NAMESPACE = "user.";
    /** Bytes asked for per READ and READDIR. */
    private static final int READ_SIZE = 128 * 1024;

    /** A node of the daemon's tree: its node id and its file type bits. */
    private record Node(long nodeId, int type) {
    }

    private final FuseConnection connection;
    private final MountLog log;
    private final Map<String, Node> nodes = new HashMap<>();
    /**
     * The extended attributes of each path as the daemon has them, where the private copy has
     * them too. Names the private copy could not take are left out, so they are never removed.
     */
    private final Map<String, Map<String, byte[]>> attributes = new HashMap<>();
    /** False once the daemon replied ENOSYS to an xattr request. */
    private boolean attributesSupported = true;
    /** False once the daemon replied ENOSYS to ACCESS. */
    private boolean accessSupported = true;
    /** False once the daemon replied ENOSYS to RENAME2. */
    private boolean rename2Supported = true;
    private Path root;
    /** The lookups of each node id the daemon counts for the view, which BATCH_FORGET returns. */
    private final Map<Long, Long> lookups = new HashMap<>();
    private final List<ArchiveEntry> entries = new ArrayList<>();

    private FuseArchive(FuseConnection connection, MountLog log) {
        this.connection = connection;
        this.log = log;
    }

    /**
     * Lists the daemon's whole tree.
     *
     * @throws IOException if the daemon fails a request, or ends or stops replying
     */
    static FuseArchive list(FuseConnection connection, MountLog log) throws IOException {
        FuseArchive archive = new FuseArchive(connection, log);
        FuseProtocol.Attr root = FuseProtocol.attrOut(archive.call(FuseProtocol.GETATTR, FuseProtocol.ROOT_ID,
                FuseProtocol.getattr(), "the root"));
        archive.nodes.put("", new Node(FuseProtocol.ROOT_ID, root.mode() & S_IFMT));
        archive.fetchAttributes("", FuseProtocol.ROOT_ID);
        archive.entries.add(ArchiveEntry.directory("", root.mode() & 07777, time(root.mtimeNanos()))
                .withOwner(root.uid(), root.gid(), time(root.atimeNanos())));
        archive.listDirectory("", FuseProtocol.ROOT_ID, new HashMap<>());
        return archive;
    }

    @Override
    public List<ArchiveEntry> entries() {
        return entries;
    }

    private void listDirectory(String directory, long nodeId, Map<Long, String> filesByInode) throws IOException {
        List<FuseProtocol.Dirent> children;
        try {
            children = list(directory, nodeId);
        } catch (RefusedRequest e) {
            // As `ls` of that directory would fail, its content stays unknown; it shows empty.
            log.event(() -> "listed " + display(directory) + " as empty: " + e.getMessage());
            return;
        }

        for (FuseProtocol.Dirent dirent : children) {
            String name = dirent.name();
            String path = directory.isEmpty() ? name : directory + "/" + name;
            FuseProtocol.Entry entry = dirent.entry();
            if (entry != null) {
                counted(entry);
            } else {
                try {
                    entry = counted(FuseProtocol.Entry.parse(call(FuseProtocol.LOOKUP, nodeId, FuseProtocol.name(name),
                            display(path))));
                } catch (RefusedRequest e) {
                    log.event(() -> "left out " + display(path) + ": " + e.getMessage());
                    continue;
                }
            }
            FuseProtocol.Attr attr = entry.attr();
            int type = attr.mode() & S_IFMT;
            int mode = attr.mode() & 07777;
            FileTime mtime = time(attr.mtimeNanos());
            ArchiveEntry listed;
            if (type == S_IFDIR) {
                listed = ArchiveEntry.directory(path, mode, mtime);
            } else if (type == S_IFREG && attr.nlink() > 1 && filesByInode.containsKey(attr.ino())) {
                listed = new ArchiveEntry(path, EntryKind.HARD_LINK, 0, mode, mtime, null, ArchiveEntry.UNKNOWN,
                        ArchiveEntry.UNKNOWN, filesByInode.get(attr.ino()), null);
            } else if (type == S_IFREG) {
                filesByInode.putIfAbsent(attr.ino(), path);
                long id = entry.nodeId();
                listed = ArchiveEntry.file(path, attr.size(), mode, mtime, () -> new Content(id, path));
            } else if (type == S_IFLNK) {
                byte[] target;
                try {
                    target = call(FuseProtocol.READLINK, entry.nodeId(), new byte[0], display(path));
                } catch (RefusedRequest e) {
                    log.event(() -> "left out " + display(path) + ": " + e.getMessage());
                    continue;
                }
                listed = ArchiveEntry.symlink(path, new String(target, StandardCharsets.UTF_8), mtime);
            } else {
                log.event(() -> "skipped " + path + ", a device, pipe or socket (mode " + Integer.toOctalString(attr.mode())
                        + ")");
                continue;
            }
            nodes.put(path, new Node(entry.nodeId(), type));
            entries.add(listed.withOwner(attr.uid(), attr.gid(), time(attr.atimeNanos())));
            if (type != S_IFLNK) {
                fetchAttributes(path, entry.nodeId());
            }
            if (type == S_IFDIR) {
                listDirectory(path, entry.nodeId(), filesByInode);
            }
        }
    }

    /**
     * Returns the entries of a directory, without {@code .} and {@code ..}: with their LOOKUP
     * replies where the daemon replies to READDIRPLUS, else names only.
     */
    private List<FuseProtocol.Dirent> list(String directory, long nodeId) throws IOException {
        long handle = FuseProtocol.handle(call(FuseProtocol.OPENDIR, nodeId, FuseProtocol.open(O_RDONLY | O_DIRECTORY),
                display(directory)), 0);
        boolean plus = connection.readdirPlus();
        int opcode = plus ? FuseProtocol.READDIRPLUS : FuseProtocol.READDIR;
        List<FuseProtocol.Dirent> listed = new ArrayList<>();
        try {
            long offset = 0;
            while (true) {
                byte[] reply = call(opcode, nodeId, FuseProtocol.read(handle, offset, READ_SIZE), display(directory));
                List<FuseProtocol.Dirent> batch = plus ? FuseProtocol.direntsPlus(reply) : FuseProtocol.dirents(reply);
                if (batch.isEmpty()) {
                    return listed;
                }
                for (FuseProtocol.Dirent dirent : batch) {
                    if (!dirent.name().equals(".") && !dirent.name().equals("..") && !dirent.name().contains("/")) {
                        listed.add(dirent);
                    }
                }
                long last = batch.get(batch.size() - 1).offset();
                if (last == offset) {
                    throw new FuseProtocol.MalformedReply(FuseProtocol.opcodeName(opcode) + " of " + display(directory)
                            + " did not advance past offset " + offset);
                }
                offset = last;
            }
        } finally {
            connection.call(FuseProtocol.RELEASEDIR, nodeId, FuseProtocol.release(handle, 0));
        }
    }

    /**
     * Writes the changed tree back: new and changed entries first (so a renamed file's content
     * can still be read under its old name), then the removed ones, deepest first.
     */
    @Override
    public void writeBack(List<TreeNode> tree, List<String> removed) throws IOException {
        writeAttributes("");
        for (TreeNode node : tree) {
            String path = node.entry().path();
            if (!node.unchanged() && !path.isEmpty()) {
                writeNode(node, path);
            }
            // Attribute changes leave a node's recorded state as it was, so every node is compared.
            writeAttributes(path);
        }
        List<String> deepestFirst = new ArrayList<>(removed);
        deepestFirst.sort(Comparator.comparing((String path) -> path.chars().filter(c -> c == '/').count())
                .reversed());
        for (String path : deepestFirst) {
            remove(path);
        }
    }

    private void writeNode(TreeNode node, String path) throws IOException {
        if (node.movedFrom() != null) {
            if (nodes.containsKey(node.movedFrom()) && !nodes.containsKey(path)) {
                rename(node.movedFrom(), path);
            }
            if (nodes.containsKey(path)) {
                // Renamed here, or with its directory.
                return;
            }
        }
        if (node.linkOf() != null && nodes.containsKey(node.linkOf()) && !nodes.containsKey(path)) {
            link(node.linkOf(), path);
            return;
        }
        writeEntry(node.entry());
    }

    /**
     * Makes a change by path in the daemon before the kernel makes it in the private copy, as the
     * kernel's FUSE sends it at once. A change on a path the daemon does not know yet (one made
     * before its parent reached the daemon) is left to the next write-back.
     *
     * @return whether the daemon got the change
     * @throws RefusedRequest with the daemon's errno, which the process's call then returns
     * @throws IOException if the connection failed
     */
    boolean forward(org.kmview.spi.Operation operation) throws IOException {
        String path = operation.path();
        Node node = nodes.get(path);
        Node parent = path.isEmpty() ? null : nodes.get(EntryPaths.parent(path));
        String name = nameOf(path);
        if (operation instanceof org.kmview.spi.Operation.MakeDirectory make && parent != null) {
            FuseProtocol.Entry entry = counted(FuseProtocol.Entry.parse(call(FuseProtocol.MKDIR, parent.nodeId(),
                    FuseProtocol.mkdir(make.mode(), name), display(path))));
            nodes.put(path, new Node(entry.nodeId(), S_IFDIR));
        } else if (operation instanceof org.kmview.spi.Operation.Create create && parent != null) {
            byte[] reply = call(FuseProtocol.CREATE, parent.nodeId(),
                    FuseProtocol.create(O_WRONLY | O_CREAT, S_IFREG | create.mode(), name), display(path));
            long nodeId = counted(FuseProtocol.Entry.parse(reply)).nodeId();
            nodes.put(path, new Node(nodeId, S_IFREG));
            close(nodeId, FuseProtocol.handle(reply, FuseProtocol.ENTRY_OUT), O_WRONLY, path);
        } else if (operation instanceof org.kmview.spi.Operation.MakeNode make && parent != null) {
            // The private copy keeps the node; the tree and the write-back leave such nodes out.
            counted(FuseProtocol.Entry.parse(call(FuseProtocol.MKNOD, parent.nodeId(),
                    FuseProtocol.mknod(make.mode(), make.device(), name), display(path))));
        } else if (operation instanceof org.kmview.spi.Operation.CheckAccess check && node != null) {
            return checkAccess(check, node);
        } else if (operation instanceof org.kmview.spi.Operation.OpenForWriting open && node != null
                && node.type() == S_IFREG) {
            if ((open.flags() & O_TRUNC) != 0) {
                call(FuseProtocol.SETATTR, node.nodeId(), FuseProtocol.setattr(FuseProtocol.FATTR_SIZE, 0, 0, 0, 0, 0, 0),
                        display(path));
            }
            int flags = open.flags() & ~(O_CREAT | O_EXCL | O_TRUNC);
            long handle = FuseProtocol.handle(call(FuseProtocol.OPEN, node.nodeId(), FuseProtocol.open(flags),
                    display(path)), 0);
            close(node.nodeId(), handle, flags, path);
        } else if (operation instanceof org.kmview.spi.Operation.Remove remove && node != null && parent != null) {
            call(remove.directory() ? FuseProtocol.RMDIR : FuseProtocol.UNLINK, parent.nodeId(), FuseProtocol.name(name),
                    display(path));
            forgetPaths(path);
        } else if (operation instanceof org.kmview.spi.Operation.Rename rename && node != null && parent != null
                && nodes.containsKey(EntryPaths.parent(rename.target()))) {
            forwardRename(rename, parent, name);
        } else if (operation instanceof org.kmview.spi.Operation.Link link && node != null
                && nodes.containsKey(EntryPaths.parent(link.target()))) {
            link(path, link.target());
        } else if (operation instanceof org.kmview.spi.Operation.Symlink symlink && parent != null) {
            FuseProtocol.Entry entry = counted(FuseProtocol.Entry.parse(call(FuseProtocol.SYMLINK, parent.nodeId(),
                    FuseProtocol.symlink(name, symlink.linkTarget()), display(path))));
            nodes.put(path, new Node(entry.nodeId(), S_IFLNK));
        } else if (operation instanceof org.kmview.spi.Operation.SetMode mode && node != null) {
            call(FuseProtocol.SETATTR, node.nodeId(), FuseProtocol.setattr(FuseProtocol.FATTR_MODE, 0, mode.mode(), 0, 0,
                    0, 0), display(path));
        } else if (operation instanceof org.kmview.spi.Operation.SetOwner owner && node != null) {
            int valid = (owner.uid() != -1 ? FuseProtocol.FATTR_UID : 0) | (owner.gid() != -1 ? FuseProtocol.FATTR_GID : 0);
            if (valid != 0) {
                call(FuseProtocol.SETATTR, node.nodeId(), FuseProtocol.setattr(valid, 0, 0, owner.uid(), owner.gid(), 0,
                        0), display(path));
            }
        } else if (operation instanceof org.kmview.spi.Operation.Truncate truncate && node != null) {
            call(FuseProtocol.SETATTR, node.nodeId(), FuseProtocol.setattr(FuseProtocol.FATTR_SIZE, truncate.size(), 0,
                    0, 0, 0, 0), display(path));
        } else if (operation instanceof org.kmview.spi.Operation.SetTimes times && node != null) {
            forwardTimes(times, node, path);
        } else if (operation instanceof org.kmview.spi.Operation.SetAttribute attribute && node != null
                && attributesSupported) {
            call(FuseProtocol.SETXATTR, node.nodeId(), FuseProtocol.setxattr(attribute.name(), attribute.value(),
                    attribute.flags()), attribute.name() + " of " + display(path));
            if (attribute.name().startsWith(USER_NAMESPACE) || org.kmview.umfuse.nativeio.Fifo.uid() == 0) {
                // Recorded as the private copy will have it; other names stay hidden and untouched.
                attributes.computeIfAbsent(path, known -> new java.util.LinkedHashMap<>()).put(attribute.name(),
                        attribute.value().clone());
            }
        } else if (operation instanceof org.kmview.spi.Operation.RemoveAttribute attribute && node != null
                && attributesSupported) {
            call(FuseProtocol.REMOVEXATTR, node.nodeId(), FuseProtocol.name(attribute.name()),
                    attribute.name() + " of " + display(path));
            Map<String, byte[]> known = attributes.get(path);
            if (known != null) {
                known.remove(attribute.name());
            }
        } else {
            log.event(() -> "left " + operation + " to the next write-back: " + display(path)
                    + " or its directory is not in " + connection.daemon() + "'s tree yet");
            return false;
        }
        return true;
    }

    /** Sends ACCESS; a daemon without it (ENOSYS) leaves the check to the private copy from then on. */
    private boolean checkAccess(org.kmview.spi.Operation.CheckAccess check, Node node) throws IOException {
        if (!accessSupported) {
            return false;
        }
        FuseConnection.Reply reply = connection.call(FuseProtocol.ACCESS, node.nodeId(), FuseProtocol.access(check.mask()));
        if (reply.error() == -ENOSYS) {
            accessSupported = false;
            return false;
        }
        if (reply.error() != 0) {
            throw new RefusedRequest("ACCESS " + display(check.path()) + " failed in " + connection.daemon()
                    + " with errno " + -reply.error(), -reply.error());
        }
        return true;
    }

    private void forwardRename(org.kmview.spi.Operation.Rename rename, Node parent, String name) throws IOException {
        String path = rename.path();
        Node newParent = nodes.get(EntryPaths.parent(rename.target()));
        String names = display(path) + " to " + display(rename.target());
        if (rename.flags() == 0) {
            call(FuseProtocol.RENAME, parent.nodeId(), FuseProtocol.rename(newParent.nodeId(), name,
                    nameOf(rename.target())), names);
        } else if (connection.minor() < RENAME2_MINOR || !rename2Supported) {
            // As the kernel: renameat2 flags need RENAME2, so mv falls back to a plain rename.
            throw new RefusedRequest(connection.daemon() + " has no RENAME2 for " + names, EINVAL);
        } else {
            FuseConnection.Reply reply = connection.call(FuseProtocol.RENAME2, parent.nodeId(),
                    FuseProtocol.rename2(newParent.nodeId(), rename.flags(), name, nameOf(rename.target())));
            if (reply.error() == -ENOSYS) {
                rename2Supported = false;
                throw new RefusedRequest(connection.daemon() + " has no RENAME2 for " + names, EINVAL);
            }
            if (reply.error() != 0) {
                throw new RefusedRequest("RENAME2 " + names + " failed in " + connection.daemon() + " with errno "
                        + -reply.error(), -reply.error());
            }
        }
        if ((rename.flags() & RENAME_EXCHANGE) != 0) {
            swapPaths(path, rename.target());
        } else {
            forgetPaths(rename.target());
            movePaths(path, rename.target());
        }
    }

    private void forwardTimes(org.kmview.spi.Operation.SetTimes times, Node node, String path) throws IOException {
        int valid = 0;
        if (times.atimeNanos() >= 0) {
            valid |= FuseProtocol.FATTR_ATIME;
        } else if (times.now()) {
            valid |= FuseProtocol.FATTR_ATIME | FuseProtocol.FATTR_ATIME_NOW;
        }
        if (times.mtimeNanos() >= 0) {
            valid |= FuseProtocol.FATTR_MTIME;
        } else if (times.now()) {
            valid |= FuseProtocol.FATTR_MTIME | FuseProtocol.FATTR_MTIME_NOW;
        }
        if (valid != 0) {
            call(FuseProtocol.SETATTR, node.nodeId(), FuseProtocol.setattr(valid, 0, 0, 0, 0,
                    Math.max(times.atimeNanos(), 0), Math.max(times.mtimeNanos(), 0)), display(path));
        }
    }

    /** Drops {@code path} and every known path below it, gone from the daemon. */
    private void forgetPaths(String path) {
        nodes.keySet().removeIf(known -> known.equals(path) || known.startsWith(path + "/"));
        attributes.keySet().removeIf(known -> known.equals(path) || known.startsWith(path + "/"));
    }

    /** Moves {@code from} and every known path below it to {@code to}. */
    private void movePaths(String from, String to) {
        for (Map<String, ?> map : List.<Map<String, ?>>of(nodes, attributes)) {
            movePaths(map, from, to);
        }
    }

    private static <T> void movePaths(Map<String, T> map, String from, String to) {
        Map<String, T> moved = new HashMap<>();
        map.entrySet().removeIf(known -> {
            String path = known.getKey();
            if (path.equals(from) || path.startsWith(from + "/")) {
                moved.put(to + path.substring(from.length()), known.getValue());
                return true;
            }
            return false;
        });
        map.putAll(moved);
    }

    /** Swaps {@code first} and {@code second}, with the paths below them, as RENAME_EXCHANGE does. */
    private void swapPaths(String first, String second) {
        String aside = first + "/\0exchange";
        movePaths(first, aside);
        movePaths(second, first);
        movePaths(aside, second);
    }

    /** Extended attributes are not part of the recorded node states, so every unmount compares them. */
    @Override
    public boolean hasUntrackedChanges() {
        return attributesSupported && root != null;
    }

    /** Writes entries while the file system stays mounted: at a close, fsync or sync in the view. */
    @Override
    public void writeEntries(List<ArchiveEntry> changed, boolean durable) throws IOException {
        for (ArchiveEntry entry : changed) {
            writeEntry(entry, durable);
            writeAttributes(entry.path());
        }
    }

    private void writeEntry(ArchiveEntry entry) throws IOException {
        writeEntry(entry, false);
    }

    private void writeEntry(ArchiveEntry entry, boolean durable) throws IOException {
        String path = entry.path();
        Node parent = nodes.get(EntryPaths.parent(path));
        if (parent == null) {
            throw new IOException("cannot write " + path + ": its directory is not in " + connection.daemon() + "'s tree");
        }
        Node existing = nodes.get(path);
        int type = switch (entry.kind()) {
            case DIRECTORY -> S_IFDIR;
            case SYMLINK -> S_IFLNK;
            case FILE, HARD_LINK -> S_IFREG;
        };
        if (existing != null && (existing.type() != type || type == S_IFLNK)) {
            removeTree(path);
            existing = null;
        }

        String name = path.substring(path.lastIndexOf('/') + 1);
        int mode = entry.mode();
        if (mode == ArchiveEntry.UNKNOWN) {
            mode = type == S_IFDIR ? 0755 : 0644;
        }
        long nodeId;
        switch (entry.kind()) {
            case DIRECTORY -> {
                nodeId = existing != null ? existing.nodeId() : counted(FuseProtocol.Entry.parse(call(FuseProtocol.MKDIR,
                        parent.nodeId(), FuseProtocol.mkdir(mode, name), display(path)))).nodeId();
            }
            case SYMLINK -> {
                nodeId = counted(FuseProtocol.Entry.parse(call(FuseProtocol.SYMLINK, parent.nodeId(),
                        FuseProtocol.symlink(name, entry.linkTarget()), display(path)))).nodeId();
            }
            default -> nodeId = writeFile(entry, parent, existing, name, mode, durable);
        }
        nodes.put(path, new Node(nodeId, type));

        if (type != S_IFLNK) {
            long atime = entry.atime() == null ? entry.mtime().to(TimeUnit.NANOSECONDS) : entry.atime().to(TimeUnit.NANOSECONDS);
            call(FuseProtocol.SETATTR, nodeId, FuseProtocol.setattr(FuseProtocol.FATTR_MODE | FuseProtocol.FATTR_ATIME
                    | FuseProtocol.FATTR_MTIME, 0, mode, 0, 0, atime, entry.mtime().to(TimeUnit.NANOSECONDS)),
                    display(path));
        }
        log.event(() -> "wrote " + path + " to " + connection.daemon());
    }

    private long writeFile(ArchiveEntry entry, Node parent, Node existing, String name, int mode, boolean durable)
            throws IOException {
        String path = entry.path();
        long nodeId;
        long handle;
        if (existing != null) {
            nodeId = existing.nodeId();
            call(FuseProtocol.SETATTR, nodeId, FuseProtocol.setattr(FuseProtocol.FATTR_SIZE, 0, 0, 0, 0, 0, 0),
                    display(path));
            handle = FuseProtocol.handle(call(FuseProtocol.OPEN, nodeId, FuseProtocol.open(O_WRONLY), display(path)), 0);
        } else {
            byte[] reply = call(FuseProtocol.CREATE, parent.nodeId(),
                    FuseProtocol.create(O_WRONLY | O_CREAT | O_EXCL, S_IFREG | mode, name), display(path));
            nodeId = counted(FuseProtocol.Entry.parse(reply)).nodeId();
            handle = FuseProtocol.handle(reply, FuseProtocol.ENTRY_OUT);
        }
        try (InputStream in = entry.content().open()) {
            byte[] chunk = new byte[connection.maxWrite()];
            long offset = 0;
            for (int n = in.readNBytes(chunk, 0, chunk.length); n > 0; n = in.readNBytes(chunk, 0, chunk.length)) {
                byte[] reply = call(FuseProtocol.WRITE, nodeId, FuseProtocol.write(handle, offset, chunk, n), display(path));
                int written = reply.length >= 4 ? java.nio.ByteBuffer.wrap(reply).order(java.nio.ByteOrder.nativeOrder())
                        .getInt(0) : -1;
                if (written != n) {
                    throw new IOException(connection.daemon() + " took " + written + " of " + n + " bytes written to "
                            + display(path) + " at offset " + offset);
                }
                offset += n;
            }
            if (durable) {
                call(FuseProtocol.FSYNC, nodeId, FuseProtocol.fsync(handle), display(path));
            }
        } finally {
            close(nodeId, handle, O_WRONLY, path);
        }
        return nodeId;
    }

    /** Reads the extended attributes of a node from the daemon (LISTXATTR, GETXATTR). */
    private void fetchAttributes(String path, long nodeId) throws IOException {
        try {
            fetchAttributesOrFail(path, nodeId);
        } catch (RefusedRequest e) {
            // As listxattr of that entry would fail (EACCES without fakeroot), it shows none.
            log.event(() -> "left out the attributes of " + display(path) + ": " + e.getMessage());
        }
    }

    private void fetchAttributesOrFail(String path, long nodeId) throws IOException {
        if (!attributesSupported) {
            return;
        }
        byte[] names = xattrData(FuseProtocol.LISTXATTR, nodeId, null, path);
        if (names == null || names.length == 0) {
            return;
        }
        Map<String, byte[]> found = new java.util.LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i < names.length; i++) {
            if (names[i] == 0) {
                if (i > start) {
                    String name = new String(names, start, i - start, StandardCharsets.UTF_8);
                    byte[] value = xattrData(FuseProtocol.GETXATTR, nodeId, name, path);
                    if (value != null) {
                        found.put(name, value);
                    }
                }
                start = i + 1;
            }
        }
        if (!found.isEmpty()) {
            attributes.put(path, found);
        }
    }

    /**
     * Sends LISTXATTR ({@code name} null) or GETXATTR twice, for the size and then the data.
     * Returns null where the node has none, or the daemon supports none.
     */
    private byte[] xattrData(int opcode, long nodeId, String name, String path) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            FuseConnection.Reply sized = connection.call(opcode, nodeId, name == null ? FuseProtocol.listxattr(0)
                    : FuseProtocol.getxattr(0, name));
            if (sized.error() != 0) {
                return unsupportedAttributes(sized.error(), opcode, path);
            }
            int size = FuseProtocol.xattrSize(sized.payload());
            if (size == 0) {
                return new byte[0];
            }
            FuseConnection.Reply data = connection.call(opcode, nodeId, name == null ? FuseProtocol.listxattr(size)
                    : FuseProtocol.getxattr(size, name));
            if (data.error() == 0) {
                return data.payload();
            }
            if (data.error() != -ERANGE) {
                return unsupportedAttributes(data.error(), opcode, path);
            }
        }
        throw new RefusedRequest(FuseProtocol.opcodeName(opcode) + " " + display(path) + " kept growing in "
                + connection.daemon(), ERANGE);
    }

    private byte[] unsupportedAttributes(int error, int opcode, String path) throws IOException {
        if (error == -ENOSYS) {
            attributesSupported = false;
            log.event(() -> connection.daemon() + " has no extended attributes");
            return null;
        }
        if (error == -ENODATA || error == -EOPNOTSUPP) {
            return null;
        }
        throw new RefusedRequest(FuseProtocol.opcodeName(opcode) + " " + display(path) + " failed in "
                + connection.daemon() + " with errno " + -error, -error);
    }

    /**
     * Gives the private copy, rooted at {@code tree}, the extended attributes the daemon listed.
     * A name the kernel refuses there (a {@code trusted.} one for an ordinary user) is left out,
     * and so never written back or removed.
     */
    void copyAttributesTo(Path tree) {
        this.root = tree;
        for (Map.Entry<String, Map<String, byte[]>> node : attributes.entrySet()) {
            String host = node.getKey().isEmpty() ? tree.toString() : tree.resolve(node.getKey()).toString();
            node.getValue().entrySet().removeIf(attribute -> {
                try {
                    org.kmview.umfuse.nativeio.Xattrs.set(host, attribute.getKey(), attribute.getValue());
                    return false;
                } catch (IOException e) {
                    log.event(() -> "left out the attribute " + attribute.getKey() + " of " + display(node.getKey())
                            + ": " + e.getMessage());
                    return true;
                }
            });
        }
    }

    /**
     * Sends the changes of a node's extended attributes since the daemon last had them: SETXATTR
     * for new and changed values, REMOVEXATTR for removed names. Only names of the {@code user.}
     * namespace and names the daemon had are compared, so attributes the host adds by itself
     * (such as {@code security.selinux}) stay out of the daemon.
     */
    private void writeAttributes(String path) throws IOException {
        Node node = nodes.get(path);
        if (!attributesSupported || root == null || node == null || node.type() == S_IFLNK) {
            return;
        }
        Map<String, byte[]> before = attributes.getOrDefault(path, Map.of());
        Map<String, byte[]> now = new java.util.LinkedHashMap<>();
        org.kmview.umfuse.nativeio.Xattrs.read(path.isEmpty() ? root.toString() : root.resolve(path).toString())
                .forEach((name, value) -> {
                    if (name.startsWith(USER_NAMESPACE) || before.containsKey(name)) {
                        now.put(name, value);
                    }
                });
        for (Map.Entry<String, byte[]> attribute : now.entrySet()) {
            byte[] old = before.get(attribute.getKey());
            if (old == null || !java.util.Arrays.equals(old, attribute.getValue())) {
                call(FuseProtocol.SETXATTR, node.nodeId(), FuseProtocol.setxattr(attribute.getKey(), attribute.getValue()),
                        attribute.getKey() + " of " + display(path));
            }
        }
        for (String name : before.keySet()) {
            if (!now.containsKey(name)) {
                FuseConnection.Reply reply = connection.call(FuseProtocol.REMOVEXATTR, node.nodeId(),
                        FuseProtocol.name(name));
                if (reply.error() != 0 && reply.error() != -ENODATA) {
                    throw new RefusedRequest("REMOVEXATTR " + name + " of " + display(path) + " failed in "
                            + connection.daemon() + " with errno " + -reply.error(), -reply.error());
                }
            }
        }
        if (now.isEmpty()) {
            attributes.remove(path);
        } else {
            attributes.put(path, now);
        }
    }

    /**
     * Closes a file handle as the kernel does at the last close of a descriptor: FLUSH, whose
     * ENOSYS means the daemon needs none, then RELEASE.
     */
    private void close(long nodeId, long handle, int flags, String path) throws IOException {
        FuseConnection.Reply flushed = connection.call(FuseProtocol.FLUSH, nodeId, FuseProtocol.flush(handle));
        connection.call(FuseProtocol.RELEASE, nodeId, FuseProtocol.release(handle, flags));
        if (flushed.error() != 0 && flushed.error() != -ENOSYS) {
            throw new RefusedRequest("FLUSH " + display(path) + " failed in " + connection.daemon() + " with errno "
                    + -flushed.error(), -flushed.error());
        }
    }

    private FuseProtocol.Entry counted(FuseProtocol.Entry entry) {
        lookups.merge(entry.nodeId(), 1L, Long::sum);
        return entry;
    }

    /**
     * Returns every lookup the daemon counts for the view, as the kernel does when it drops its
     * inodes: in BATCH_FORGET messages that fit the pipe, or one FORGET for a single node. The
     * root is never forgotten.
     */
    void forgetAll() throws IOException {
        List<long[]> batch = new ArrayList<>();
        int perMessage = (FuseConnection.MAX_MESSAGE - FuseProtocol.IN_HEADER - 8) / 16;
        for (Map.Entry<Long, Long> counted : lookups.entrySet()) {
            if (counted.getKey() != FuseProtocol.ROOT_ID) {
                batch.add(new long[] {counted.getKey(), counted.getValue()});
            }
            if (batch.size() == perMessage) {
                connection.post(FuseProtocol.BATCH_FORGET, 0, FuseProtocol.batchForget(batch));
                batch.clear();
            }
        }
        if (batch.size() == 1) {
            // One node: the plain FORGET, as the kernel sends it.
            connection.post(FuseProtocol.FORGET, batch.get(0)[0], FuseProtocol.forget(batch.get(0)[1]));
        } else if (!batch.isEmpty()) {
            connection.post(FuseProtocol.BATCH_FORGET, 0, FuseProtocol.batchForget(batch));
        }
        int forgotten = lookups.size();
        lookups.clear();
        log.event(() -> "sent BATCH_FORGET for " + forgotten + " nodes to " + connection.daemon());
    }

    /** Renames {@code from} to {@code to} in the daemon, and the nodes below a directory with it. */
    private void rename(String from, String to) throws IOException {
        Node oldParent = nodes.get(EntryPaths.parent(from));
        Node newParent = nodes.get(EntryPaths.parent(to));
        if (oldParent == null || newParent == null) {
            return;
        }
        call(FuseProtocol.RENAME, oldParent.nodeId(), FuseProtocol.rename(newParent.nodeId(), nameOf(from), nameOf(to)),
                display(from) + " to " + display(to));
        movePaths(from, to);
        log.event(() -> "renamed " + from + " to " + to + " in " + connection.daemon());
    }

    /** Makes {@code path} another name of the file at {@code existing}, as ln does. */
    private void link(String existing, String path) throws IOException {
        Node target = nodes.get(existing);
        Node parent = nodes.get(EntryPaths.parent(path));
        if (parent == null) {
            throw new IOException("cannot link " + path + ": its directory is not in " + connection.daemon() + "'s tree");
        }
        FuseProtocol.Entry entry = counted(FuseProtocol.Entry.parse(call(FuseProtocol.LINK, parent.nodeId(),
                FuseProtocol.link(target.nodeId(), nameOf(path)), display(path))));
        nodes.put(path, new Node(entry.nodeId(), target.type()));
        log.event(() -> "linked " + path + " to " + existing + " in " + connection.daemon());
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Removes {@code path} and, if it is a directory, every known entry below it first. */
    private void removeTree(String path) throws IOException {
        String prefix = path + "/";
        List<String> below = new ArrayList<>(nodes.keySet().stream().filter(p -> p.startsWith(prefix)).toList());
        below.sort(Comparator.comparing(String::length).reversed());
        for (String inner : below) {
            remove(inner);
        }
        remove(path);
    }

    private void remove(String path) throws IOException {
        Node node = nodes.get(path);
        Node parent = nodes.get(EntryPaths.parent(path));
        if (node == null || parent == null) {
            return;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        int opcode = node.type() == S_IFDIR ? FuseProtocol.RMDIR : FuseProtocol.UNLINK;
        FuseConnection.Reply reply = connection.call(opcode, parent.nodeId(), FuseProtocol.name(name));
        if (reply.error() != 0 && reply.error() != -ENOENT) {
            throw new IOException(FuseProtocol.opcodeName(opcode) + " " + display(path) + " failed in "
                    + connection.daemon() + " with errno " + -reply.error());
        }
        nodes.remove(path);
        attributes.remove(path);
        log.event(() -> "removed " + path + " in " + connection.daemon());
    }

    /**
     * Sends a request and returns the payload of a successful reply.
     *
     * @throws RefusedRequest if the daemon replied with an errno
     * @throws IOException if the connection failed
     */
    private byte[] call(int opcode, long nodeId, byte[] body, String subject) throws IOException {
        FuseConnection.Reply reply = connection.call(opcode, nodeId, body);
        if (reply.error() != 0) {
            throw new RefusedRequest(FuseProtocol.opcodeName(opcode) + " " + subject + " failed in " + connection.daemon()
                    + " with errno " + -reply.error(), -reply.error());
        }
        return reply.payload();
    }

    /** A request the daemon replied to with an errno; the connection is still usable. */
    static final class RefusedRequest extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        RefusedRequest(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        /** Returns the positive errno the daemon replied with. */
        int errno() {
            return errno;
        }
    }

    private static String display(String path) {
        return "/" + path;
    }

    private static FileTime time(long nanos) {
        return FileTime.from(nanos, TimeUnit.NANOSECONDS);
    }

    /** Nothing to close: the connection belongs to the mount. */
    @Override
    public void close() {
    }

    /** The content of a file, read with OPEN, READ and RELEASE when the stream is opened and read. */
    private final class Content extends InputStream {
        private final long nodeId;
        private final String path;
        private final long handle;
        private byte[] buffer = new byte[0];
        private int position;
        private long offset;
        private boolean end;
        private boolean closed;

        Content(long nodeId, String path) throws IOException {
            this.nodeId = nodeId;
            this.path = path;
            this.handle = FuseProtocol.handle(call(FuseProtocol.OPEN, nodeId, FuseProtocol.open(O_RDONLY), display(path)), 0);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int at, int length) throws IOException {
            if (position == buffer.length) {
                if (end) {
                    return -1;
                }
                FuseConnection.Reply reply = connection.call(FuseProtocol.READ, nodeId,
                        FuseProtocol.read(handle, offset, READ_SIZE));
                if (reply.error() != 0) {
                    throw new RefusedRequest("READ " + display(path) + " failed in " + connection.daemon()
                            + " with errno " + -reply.error(), -reply.error());
                }
                // The reply is used in place, past its header, to save a copy of each chunk.
                buffer = reply.message();
                position = FuseProtocol.OUT_HEADER;
                offset += reply.payloadLength();
                if (reply.payloadLength() == 0) {
                    end = true;
                    return -1;
                }
            }
            int n = Math.min(length, buffer.length - position);
            System.arraycopy(buffer, position, target, at, n);
            position += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                FuseArchive.this.close(nodeId, handle, O_RDONLY, path);
            }
        }
    }
}
