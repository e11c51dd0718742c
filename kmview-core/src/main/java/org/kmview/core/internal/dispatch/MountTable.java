package org.kmview.core.internal.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.PathMapping;
import org.kmview.spi.VirtualMount;

/**
 * The view's virtual mounts. A path belongs to the mount whose mount point is its longest
 * prefix. Of two mounts on one point, the one whose service comes first in the order of
 * precedence wins. Of two mounts of one service, the later one wins, as on Linux.
 *
 * <p>Owned by the tracer thread. Paths are canonical absolute byte strings of the view.
 */
public final class MountTable {

    private static final int FIRST_DEVICE_MINOR = 0xfa000;
    private final java.util.Map<Entry, Integer> deviceMinors = new java.util.IdentityHashMap<>();
    private int nextDeviceMinor = FIRST_DEVICE_MINOR;
    private boolean metadataOnly;

    /**
     * One virtual mount.
     *
     * @param hostSource the host path of the source, or null when the source names no file
     */
    public record Entry(String mountPoint, String type, String source, String service, VirtualMount mount,
                        String hostSource) {

        /** Creates an entry whose source names no file. */
        public Entry(String mountPoint, String type, String source, String service, VirtualMount mount) {
            this(mountPoint, type, source, service, mount, null);
        }
    }

    /** The mapping of a view path: the host path (null if hidden), and whether a mount decided it. */
    public record Mapped(String hostPath, boolean viaMount, Errno failure) {
        /** Creates the mapping of a path that does not fail as a whole. */
        public Mapped(String hostPath, boolean viaMount) {
            this(hostPath, viaMount, null);
        }

        /** Returns whether the path is hidden or fails. */
        public boolean hidden() {
            return hostPath == null;
        }

        /** Returns the errno a call on a hidden path fails with: ENOENT unless the mount gave another. */
        public Errno error() {
            return failure != null ? failure : Errno.ENOENT;
        }
    }

    /** A host path shown in view terms, and whether a mount's host root was used. */
    public record ViewName(String viewPath, boolean viaMount) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private List<String> serviceOrder = List.of();
    private boolean anyHostRoot;
    private boolean anyForwarding;

    /** Returns whether the table has no mount. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Adds a mount on top of whatever is at its mount point. */
    public void add(Entry entry) {
        entries.add(entry);
        anyHostRoot |= entry.mount().hostRoot().isPresent();
        anyForwarding |= entry.mount().forwardsOperations();
    }

    /** Removes the topmost mount at {@code mountPoint} and returns it. */
    public Optional<Entry> remove(String mountPoint) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).mountPoint().equals(mountPoint)) {
                Entry removed = entries.remove(i);
                deviceMinors.remove(removed);
                anyHostRoot = entries.stream().anyMatch(e -> e.mount().hostRoot().isPresent());
                anyForwarding = entries.stream().anyMatch(e -> e.mount().forwardsOperations());
                return Optional.of(removed);
            }
        }
        return Optional.empty();
    }

    /** Returns the mount that {@link #remove} would remove at {@code mountPoint}. */
    public Optional<Entry> top(String mountPoint) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).mountPoint().equals(mountPoint)) {
                return Optional.of(entries.get(i));
            }
        }
        return Optional.empty();
    }

    /** Returns the mounts, oldest first. */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Returns whether some mount tracks changes ({@link VirtualMount#tracksChanges}). */
    public boolean hasChangeTrackers() {
        return entries.stream().anyMatch(entry -> entry.mount().tracksChanges());
    }

    /** Returns whether some mount merges its listings with what lies below it. */
    public boolean hasMergedListings() {
        return entries.stream().anyMatch(entry -> entry.mount().mergesListings());
    }

    /** Returns whether some mount changes stat results ({@link VirtualMount#statView}). */
    public boolean hasStatViews() {
        return entries.stream().anyMatch(entry -> entry.mount().statView().isPresent());
    }

    /** Returns whether some mount forwards changes ({@link VirtualMount#forwardsOperations}), as of its mount. */
    public boolean hasForwardingMounts() {
        return anyForwarding;
    }

    /** Returns whether some mount shows a host tree, so host paths may need showing in view terms. */
    public boolean hasHostRoots() {
        return anyHostRoot;
    }

    /**
     * Returns the mount whose mapping decides what the view shows at {@code viewPath}, or empty if
     * the path shows the host file of the same name.
     */
    public Optional<Entry> showing(String viewPath) {
        List<Entry> passed = new ArrayList<>();
        for (Entry owner = owner(viewPath, passed); owner != null; owner = owner(viewPath, passed)) {
            if (!(owner.mount().lookup(relative(owner.mountPoint(), viewPath)) instanceof PathMapping.Below)) {
                return Optional.of(owner);
            }
            passed.add(owner);
        }
        return Optional.empty();
    }

    /**
     * Returns the top mount at {@code viewPath} if it merges listings, whether it shows the
     * directory from its own tree or leaves it to the layer below (a lower directory whose
     * whiteouts it still applies).
     */
    public Optional<Entry> mergingOwner(String viewPath) {
        Entry owner = owner(viewPath);
        return owner != null && owner.mount().mergesListings() ? Optional.of(owner) : Optional.empty();
    }

    /** Returns the top mount at {@code viewPath} if it tracks changes ({@link VirtualMount#tracksChanges}). */
    public Optional<Entry> changeTracker(String viewPath) {
        Entry owner = owner(viewPath);
        return owner != null && owner.mount().tracksChanges() ? Optional.of(owner) : Optional.empty();
    }

    /**
     * Returns whether changes at {@code viewPath} fail with EROFS: a read-only mount lies on the
     * way to it (through the layers a mount leaves paths to), or the mapping is read-only.
     */
    public boolean readOnly(String viewPath) {
        List<Entry> passed = new ArrayList<>();
        for (Entry owner = owner(viewPath, passed); owner != null; owner = owner(viewPath, passed)) {
            if (owner.mount().readOnly()) {
                return true;
            }
            PathMapping mapping = owner.mount().lookup(relative(owner.mountPoint(), viewPath));
            if (mapping instanceof PathMapping.Host host) {
                return host.readOnly();
            }
            if (mapping instanceof PathMapping.Hidden || mapping instanceof PathMapping.Failed) {
                return false;
            }
            passed.add(owner);
        }
        return false;
    }

    /**
     * Maps a view path as the view showed it before the mount {@code upper} came: through the
     * mounts other than {@code upper}, or to the host path of the same name. Returns null if
     * that layer hides the path.
     */
    public String mapPast(String viewPath, Entry upper) {
        List<Entry> passed = new ArrayList<>(List.of(upper));
        for (Entry owner = owner(viewPath, passed); owner != null; owner = owner(viewPath, passed)) {
            PathMapping mapping = owner.mount().map(relative(owner.mountPoint(), viewPath));
            if (mapping instanceof PathMapping.Host host) {
                return host.path();
            }
            if (mapping instanceof PathMapping.Hidden || mapping instanceof PathMapping.Failed) {
                return null;
            }
            passed.add(owner);
        }
        return viewPath;
    }

    /**
     * Returns the minor device number a mount with a device of its own shows, under major 0 as
     * the kernel's anonymous devices (tmpfs, proc, FUSE) do. The numbers start high in the 20-bit
     * minor range, above those the kernel hands out first, and each mount keeps its number.
     */
    public int deviceMinor(Entry entry) {
        return deviceMinors.computeIfAbsent(entry, e -> nextDeviceMinor++);
    }

    /**
     * Sets whether the paths {@link #map} maps next serve a call that reads only metadata, so
     * mounts are asked through {@link VirtualMount#lookup}. The dispatcher sets it around the
     * resolution of such a call and clears it after.
     */
    public void setMetadataOnly(boolean metadataOnly) {
        this.metadataOnly = metadataOnly;
    }

    /** Maps a view path to the host. */
    public Mapped map(String viewPath) {
        List<Entry> passed = new ArrayList<>();
        Entry owner = owner(viewPath, passed);
        while (owner != null) {
            String relative = relative(owner.mountPoint(), viewPath);
            PathMapping mapping = metadataOnly ? owner.mount().lookup(relative) : owner.mount().map(relative);
            if (mapping instanceof PathMapping.Host host) {
                return new Mapped(host.path(), true);
            }
            if (mapping instanceof PathMapping.Hidden) {
                return new Mapped(null, true);
            }
            if (mapping instanceof PathMapping.Failed failed) {
                return new Mapped(null, true, failed.errno());
            }
            // Below: the mount leaves this path to what it covers.
            passed.add(owner);
            owner = owner(viewPath, passed);
        }
        return new Mapped(viewPath, false);
    }

    /**
     * Shows a host path in view terms: below the host root of a mount it is shown below that
     * mount's point. A mount whose host root contains its own mount point (SRC / onto DST /mnt)
     * is skipped, since every host path would otherwise move below it.
     */
    public ViewName toView(String hostPath) {
        // Naming a path reads no content, so mounts that fill files lazily are asked by lookup.
        boolean callMetadataOnly = metadataOnly;
        metadataOnly = true;
        try {
            return nameInView(hostPath);
        } finally {
            metadataOnly = callMetadataOnly;
        }
    }

    private ViewName nameInView(String hostPath) {
        Entry best = null;
        String bestView = null;
        int bestRootLength = -1;
        for (Entry entry : entries) {
            Optional<String> root = entry.mount().hostRoot();
            if (root.isEmpty() || !isWithin(hostPath, root.get()) || isWithin(entry.mountPoint(), root.get())) {
                continue;
            }
            String candidate = join(entry.mountPoint(), relative(root.get(), hostPath));
            // Only a view path that leads back to this host path names it (a later hide or mount may cover it).
            if (root.get().length() >= bestRootLength && hostPath.equals(map(candidate).hostPath())) {
                best = entry;
                bestView = candidate;
                bestRootLength = root.get().length();
            }
        }
        if (best == null) {
            return new ViewName(hostPath, false);
        }
        return new ViewName(bestView, true);
    }

    /**
     * A control file of a service, with the view path it has.
     *
     * @param viewPath the path of the file in the view
     * @param file what serves writes to it
     */
    public record Control(String viewPath, ControlFile file) {
    }

    /** Returns the control file at the view path {@code viewPath}, if a mount has one there. */
    public Optional<Control> controlAt(String viewPath) {
        Entry owner = owner(viewPath);
        if (owner == null) {
            return Optional.empty();
        }
        return owner.mount().controlFile(relative(owner.mountPoint(), viewPath))
                .map(file -> new Control(viewPath, file));
    }

    /**
     * Returns the control file whose host file is {@code hostPath}, if a mount shows one there:
     * the kernel names an open control file by its host path in /proc/PID/fd.
     */
    public Optional<Control> controlOfHost(String hostPath) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry entry = entries.get(i);
            Optional<String> root = entry.mount().hostRoot();
            if (root.isEmpty() || !isWithin(hostPath, root.get()) || hostPath.equals(root.get())) {
                continue;
            }
            String relative = relative(root.get(), hostPath);
            Optional<ControlFile> file = entry.mount().controlFile(relative);
            if (file.isPresent()) {
                return Optional.of(new Control(join(entry.mountPoint(), relative), file.get()));
            }
        }
        return Optional.empty();
    }

    /** Returns the top mount at {@code viewPath} if it forwards changes ({@link VirtualMount#forwardsOperations}). */
    public Optional<Entry> forwardingOwner(String viewPath) {
        Entry owner = owner(viewPath);
        return owner != null && owner.mount().forwardsOperations() ? Optional.of(owner) : Optional.empty();
    }

    /** Returns the top mount at {@code viewPath} if it syncs files ({@link VirtualMount#syncsFiles}). */
    public Optional<Entry> syncingOwner(String viewPath) {
        Entry owner = owner(viewPath);
        return owner != null && owner.mount().syncsFiles() ? Optional.of(owner) : Optional.empty();
    }

    /** A mount that syncs files, and a path relative to it. */
    public record Synced(Entry entry, String relative) {
    }

    /** Returns the mount that syncs files whose host tree contains {@code hostPath}, and the path below it. */
    public Optional<Synced> syncingMountOfHost(String hostPath) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry entry = entries.get(i);
            Optional<String> root = entry.mount().hostRoot();
            if (entry.mount().syncsFiles() && root.isPresent() && isWithin(hostPath, root.get())) {
                return Optional.of(new Synced(entry, relative(root.get(), hostPath)));
            }
        }
        return Optional.empty();
    }

    /** Returns whether a mount point lies strictly below the view path {@code viewPath}. */
    public boolean hasMountBelow(String viewPath) {
        for (Entry entry : entries) {
            if (!entry.mountPoint().equals(viewPath) && isWithin(entry.mountPoint(), viewPath)) {
                return true;
            }
        }
        return false;
    }

    /** Returns the names of the mount points directly inside the view directory {@code viewDir}. */
    public List<String> mountPointNamesIn(String viewDir) {
        List<String> names = new ArrayList<>();
        for (Entry entry : entries) {
            String point = entry.mountPoint();
            String name = point.substring(point.lastIndexOf('/') + 1);
            if (!point.equals("/") && parent(point).equals(viewDir) && !names.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** Returns the names of hidden mount points directly inside the view directory {@code viewDir}. */
    public List<String> hiddenNamesIn(String viewDir) {
        List<String> names = new ArrayList<>();
        for (Entry entry : entries) {
            String point = entry.mountPoint();
            if (point.equals("/") || !parent(point).equals(viewDir)) {
                continue;
            }
            // A later mount on the same point may cover the hide.
            if (map(point).hidden()) {
                names.add(point.substring(point.lastIndexOf('/') + 1));
            }
        }
        return names;
    }

    private Entry owner(String viewPath) {
        return owner(viewPath, List.of());
    }

    /** Returns the mount that shows {@code viewPath}, among the mounts not in {@code passed}. */
    private Entry owner(String viewPath, List<Entry> passed) {
        Entry owner = null;
        for (Entry entry : entries) {
            if (!isWithin(viewPath, entry.mountPoint()) || passed.contains(entry)) {
                continue;
            }
            if (owner == null || entry.mountPoint().length() > owner.mountPoint().length()
                    || (entry.mountPoint().length() == owner.mountPoint().length() && !precedes(owner, entry))) {
                owner = entry;
            }
        }
        return owner;
    }

    /**
     * Returns whether {@code earlier}, mounted before {@code later} on the same point, keeps the
     * point: when its service comes first in the order of precedence. Mounts of one service stack
     * as on Linux, the later on top.
     */
    private boolean precedes(Entry earlier, Entry later) {
        if (earlier.service().equals(later.service())) {
            return false;
        }
        int earlierRank = serviceOrder.indexOf(earlier.service());
        int laterRank = serviceOrder.indexOf(later.service());
        return earlierRank >= 0 && (laterRank < 0 || earlierRank < laterRank);
    }

    /** Sets the services' order of precedence, which decides between their mounts on one point. */
    public void setServiceOrder(List<String> services) {
        serviceOrder = List.copyOf(services);
    }

    static boolean isWithin(String path, String root) {
        if (root.equals("/")) {
            return true;
        }
        return path.startsWith(root) && (path.length() == root.length() || path.charAt(root.length()) == '/');
    }

    static String relative(String root, String path) {
        if (path.length() == root.length()) {
            return "";
        }
        return root.equals("/") ? path.substring(1) : path.substring(root.length() + 1);
    }

    static String join(String directory, String relative) {
        if (relative.isEmpty()) {
            return directory;
        }
        return directory.equals("/") ? "/" + relative : directory + "/" + relative;
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }
}
