package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.kmview.spi.Errno;
import org.kmview.spi.MountRequest;
import org.kmview.spi.ServiceException;

/**
 * A directory tree of any {@link FileSystemProvider} that the service's module layer can load,
 * chosen by URI scheme ({@code -o provider=SCHEME}). The source is a URI of that scheme, such as
 * {@code jar:file:/tmp/a.zip!/}, or a file that the provider opens as a file system. A
 * read-write mount applies the changes to the provider's tree at unmount, node by node. Unlike
 * the image formats this is not atomic, so a crash in the middle leaves part of the changes.
 */
final class NioTree implements Archive {

    private static final PosixFilePermission[] PERMISSION_BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    private final String scheme;
    private final Path root;
    private final FileSystem ownedFileSystem;
    private final MountLog log;
    private final List<ArchiveEntry> entries;

    private NioTree(String scheme, Path root, FileSystem ownedFileSystem, MountLog log, List<ArchiveEntry> entries) {
        this.scheme = scheme;
        this.root = root;
        this.ownedFileSystem = ownedFileSystem;
        this.log = log;
        this.entries = entries;
    }

    /**
     * Opens the tree that {@code request.source()} names in the provider of {@code -o provider=}.
     *
     * @throws ServiceException EINVAL if no provider has that scheme, the URI is invalid or of
     *         another scheme, or the provider cannot open it; ENOENT if the source does not exist
     */
    static NioTree open(String typeName, MountRequest request, MountOptions options, MountLog log)
            throws ServiceException {
        String scheme = options.provider().orElseThrow();
        FileSystemProvider provider = findProvider(typeName, scheme);
        String source = request.source();
        FileSystem owned = null;
        Path root;
        try {
            URI uri = parseUri(source);
            if (uri != null) {
                if (!uri.getScheme().equalsIgnoreCase(scheme)) {
                    throw new ServiceException(Errno.EINVAL, typeName + " source " + source + " has scheme "
                            + uri.getScheme() + " but provider=" + scheme + "; give a " + scheme + ": URI");
                }
                if (scheme.equalsIgnoreCase("jar") && !uri.toString().contains("!/")) {
                    // The zip file system needs the path inside the archive: jar:file:/a.zip!/
                    uri = URI.create(uri + "!/");
                }
                if (provider != FileSystems.getDefault().provider()) {
                    try {
                        owned = provider.newFileSystem(uri, environment(scheme));
                    } catch (FileSystemAlreadyExistsException e) {
                        // Another user of this layer opened it; getPath below reaches it.
                    }
                }
                root = provider.getPath(uri);
            } else {
                String hostSource = request.hostSource().orElseThrow(() -> new ServiceException(Errno.ENOENT,
                        typeName + " source " + source + " is neither a URI nor an existing file"));
                owned = provider.newFileSystem(Path.of(hostSource), environment(scheme));
                root = owned.getRootDirectories().iterator().next();
            }
            if (!Files.isDirectory(root)) {
                throw new NoSuchFileException(root.toUri().toString());
            }
            List<ArchiveEntry> entries = new ArrayList<>();
            walk(root, root, entries);
            NioTree tree = new NioTree(scheme, root, owned, log, List.copyOf(entries));
            log.event(() -> "opened " + source + " with provider " + provider.getClass().getName());
            return tree;
        } catch (ServiceException e) {
            closeQuietly(owned);
            throw e;
        } catch (NoSuchFileException e) {
            closeQuietly(owned);
            throw new ServiceException(Errno.ENOENT, typeName + " source " + source + " has no directory "
                    + e.getFile());
        } catch (IOException | RuntimeException e) {
            closeQuietly(owned);
            log.error("cannot open " + source + " with provider " + scheme + ": " + e);
            throw new ServiceException(Errno.EINVAL, source + ": provider " + scheme + " cannot open it: " + e);
        }
    }

    /** Returns the scheme of the provider. */
    String scheme() {
        return scheme;
    }

    /** Returns whether the provider lets the tree be changed. */
    boolean writable() {
        return !root.getFileSystem().isReadOnly();
    }

    @Override
    public List<ArchiveEntry> entries() {
        return entries;
    }

    /** Applies the changed nodes to the provider's tree, then removes the nodes that are gone. */
    @Override
    public void writeBack(List<TreeNode> tree, List<String> removed) throws IOException {
        for (TreeNode node : tree) {
            if (!node.unchanged()) {
                apply(node.entry());
            }
        }
        List<String> deepestFirst = new ArrayList<>(removed);
        deepestFirst.sort(Comparator.comparingInt(String::length).reversed());
        Set<String> present = new TreeSet<>();
        tree.forEach(node -> present.add(node.entry().path()));
        for (String path : deepestFirst) {
            if (!present.contains(path)) {
                Files.deleteIfExists(resolve(path));
            }
        }
        // A file system such as the zip one writes its changes only when closed.
        close();
    }

    private void apply(ArchiveEntry entry) throws IOException {
        Path target = resolve(entry.path());
        switch (entry.kind()) {
            case DIRECTORY -> {
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(target);
                    Files.createDirectory(target);
                }
            }
            case FILE, HARD_LINK -> {
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("cannot replace directory " + target.toUri() + " with a file");
                }
                // The content may read from the target itself (a changed mode on a file that was
                // never opened), so it is copied to a sibling first and moved over the target.
                Path sibling = target.resolveSibling("." + target.getFileName() + ".umfuse-new");
                try (InputStream in = entry.content().open()) {
                    Files.copy(in, sibling, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(sibling, target, StandardCopyOption.REPLACE_EXISTING);
            }
            case SYMLINK -> {
                Files.deleteIfExists(target);
                try {
                    Files.createSymbolicLink(target, target.getFileSystem().getPath(entry.linkTarget()));
                } catch (UnsupportedOperationException e) {
                    log.error("skipped symbolic link " + entry.path() + ": provider " + scheme + " has none");
                }
                return;
            }
        }
        Files.setLastModifiedTime(target, entry.mtime());
        PosixFileAttributeView posix = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        if (posix != null) {
            posix.setPermissions(permissions(entry.mode()));
        }
    }

    private Path resolve(String relative) {
        Path path = root;
        for (String part : relative.split("/")) {
            path = path.resolve(part);
        }
        return path;
    }

    private static void walk(Path root, Path directory, List<ArchiveEntry> entries) throws IOException {
        List<Path> children;
        try (Stream<Path> listing = Files.list(directory)) {
            children = listing.sorted().toList();
        }
        boolean posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
        for (Path child : children) {
            String relative = relativePath(root, child);
            BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            int mode = posix ? modeOf(Files.readAttributes(child, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).permissions()) : ArchiveEntry.UNKNOWN;
            if (attributes.isSymbolicLink()) {
                entries.add(ArchiveEntry.symlink(relative, Files.readSymbolicLink(child).toString(),
                        attributes.lastModifiedTime()));
            } else if (attributes.isDirectory()) {
                entries.add(ArchiveEntry.directory(relative, mode, attributes.lastModifiedTime()));
                walk(root, child, entries);
            } else if (attributes.isRegularFile()) {
                entries.add(ArchiveEntry.file(relative, attributes.size(), mode, attributes.lastModifiedTime(),
                        () -> Files.newInputStream(child)));
            }
        }
    }

    private static String relativePath(Path root, Path child) {
        List<String> parts = new ArrayList<>();
        for (Path part : root.relativize(child)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }

    static int modeOf(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (int bit = 0; bit < PERMISSION_BITS.length; bit++) {
            if (permissions.contains(PERMISSION_BITS[bit])) {
                mode |= 1 << bit;
            }
        }
        return mode;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        for (int bit = 0; bit < PERMISSION_BITS.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                permissions.add(PERMISSION_BITS[bit]);
            }
        }
        return permissions;
    }

    /** Returns the source as a URI if it has a scheme, else null (a plain path). */
    private static URI parseUri(String source) {
        try {
            URI uri = new URI(source);
            return uri.getScheme() != null && uri.getScheme().length() > 1 ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

        /** Returns the provider options: the zip file system keeps Unix modes only with enablePosixFileAttributes. */
    private static Map<String, ?> environment(String scheme) {
        return scheme.equalsIgnoreCase("jar") ? Map.of("enablePosixFileAttributes", "true") : Map.of();
    }

    /**
     * Finds the provider of {@code scheme} among the installed providers and those that this
     * class's module layer provides.
     */
    static FileSystemProvider findProvider(String typeName, String scheme) throws ServiceException {
        List<FileSystemProvider> candidates = new ArrayList<>(FileSystemProvider.installedProviders());
        ModuleLayer layer = NioTree.class.getModule().getLayer();
        if (layer != null) {
            ServiceLoader.load(layer, FileSystemProvider.class).forEach(candidates::add);
        } else {
            ServiceLoader.load(FileSystemProvider.class, NioTree.class.getClassLoader())
                    .forEach(candidates::add);
        }
        Set<String> schemes = new TreeSet<>();
        for (FileSystemProvider provider : candidates) {
            if (provider.getScheme().equalsIgnoreCase(scheme)) {
                return provider;
            }
            schemes.add(provider.getScheme());
        }
        throw new ServiceException(Errno.EINVAL, typeName + " provider=" + scheme
                + " is unknown: no FileSystemProvider has that scheme; available schemes are " + schemes);
    }

    void closeQuietly() {
        closeQuietly(ownedFileSystem);
    }

    private static void closeQuietly(FileSystem fileSystem) {
        if (fileSystem != null) {
            try {
                fileSystem.close();
            } catch (IOException | UnsupportedOperationException e) {
                // Closing after a failed mount; the mount error is what the caller reports.
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (ownedFileSystem != null && ownedFileSystem.isOpen()) {
            ownedFileSystem.close();
        }
    }
}
