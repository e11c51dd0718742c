package org.kmview.viewfs;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.kmview.spi.Change;
import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.LowerLayer;
import org.kmview.spi.MountRequest;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * The {@code viewfs} type: {@code -o move} (the default) shows SRC at DST, {@code -o hide}
 * removes DST and everything below it from the view, {@code -o merge} shows SRC over what DST
 * showed. {@code ro} makes any of them read-only, and {@code except=PATH} leaves a subtree of DST
 * as it was.
 */
final class ViewFsType implements FileSystemType {

    private static final Set<String> MODES = Set.of("move", "hide", "merge", "cow", "mincow");
    private static final String VALID = "modes move, hide, merge, cow and mincow, and the options ro and except=PATH";

    @Override
    public String name() {
        return "viewfs";
    }

    @Override
    public VirtualMount mount(MountRequest request) throws ServiceException {
        String mode = null;
        boolean readOnly = false;
        List<String> excepts = new ArrayList<>();
        for (String option : request.options().names()) {
            if (MODES.contains(option)) {
                if (mode != null) {
                    throw new ServiceException(Errno.EINVAL, "viewfs modes " + mode + " and " + option
                            + " given together; give one mode");
                }
                mode = option;
            } else if (option.equals("ro")) {
                readOnly = true;
            } else if (option.equals("except")) {
                for (String except : request.options().values("except")) {
                    excepts.add(relativeExcept(request.mountPoint(), except));
                }
            } else {
                throw new ServiceException(Errno.EINVAL,
                        "unknown viewfs option \"" + option + "\"; valid are " + VALID);
            }
        }

        if (mode == null) {
            mode = "move";
        }
        VirtualMount mount;
        if (mode.equals("hide")) {
            mount = new HideMount();
        } else {
            String modeName = mode;
            String hostRoot = request.hostSource().orElseThrow(() -> new ServiceException(Errno.ENOENT,
                    "viewfs " + modeName + " source " + request.source() + " does not exist"));
            if (!mode.equals("move") && insideUnexcepted(hostRoot, request.mountPoint(), excepts)) {
                throw new ServiceException(Errno.EINVAL, "viewfs " + mode + " source " + hostRoot + " lies inside "
                        + request.mountPoint() + ", so the view would show it inside itself; move it outside "
                        + request.mountPoint() + " or give except=" + hostRoot);
            }
            mount = switch (mode) {
                case "merge" -> new MergeMount(hostRoot);
                case "cow", "mincow" -> cow(hostRoot, mode.equals("mincow"));
                default -> new MoveMount(hostRoot);
            };
        }
        return excepts.isEmpty() && !readOnly ? mount : new Restricted(mount, excepts, readOnly);
    }

    private static VirtualMount cow(String hostRoot, boolean minimal) throws ServiceException {
        if (!java.nio.file.Files.isDirectory(Path.of(hostRoot))) {
            throw new ServiceException(Errno.ENOTDIR, "viewfs cow source " + hostRoot
                    + " is not a directory; give the directory that receives the changes");
        }
        try {
            return new CowMount(Path.of(hostRoot), minimal);
        } catch (java.io.IOException e) {
            throw new ServiceException(Errno.EIO, "cannot read the whiteouts in " + hostRoot + ": " + e.getMessage());
        }
    }

    /** Returns whether {@code source} lies below {@code mountPoint} but in no except= subtree. */
    private static boolean insideUnexcepted(String source, String mountPoint, List<String> excepts) {
        String prefix = mountPoint.endsWith("/") ? mountPoint : mountPoint + "/";
        if (!source.startsWith(prefix)) {
            return false;
        }
        String relative = source.substring(prefix.length());
        for (String except : excepts) {
            if (relative.equals(except) || relative.startsWith(except + "/")) {
                return false;
            }
        }
        return true;
    }

    /** Returns an except= path relative to the mount point, or throws EINVAL if it lies outside it. */
    private static String relativeExcept(String mountPoint, String except) throws ServiceException {
        String relative = except;
        if (except.startsWith("/")) {
            String prefix = mountPoint.endsWith("/") ? mountPoint : mountPoint + "/";
            if (!except.startsWith(prefix)) {
                throw new ServiceException(Errno.EINVAL, "viewfs option except=" + except
                        + " is not below the mount point " + mountPoint + "; give a path below it or relative to it");
            }
            relative = except.substring(prefix.length());
        }
        List<String> parts = new ArrayList<>();
        for (String part : relative.split("/")) {
            if (part.equals("..")) {
                throw new ServiceException(Errno.EINVAL, "viewfs option except=" + except + " contains \"..\"");
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            throw new ServiceException(Errno.EINVAL, "viewfs option except=" + except
                    + " names the mount point itself; give a path below it");
        }
        return String.join("/", parts);
    }

    /** Joins a host root and a relative path. */
    static String join(String hostRoot, String relative) {
        if (relative.isEmpty()) {
            return hostRoot;
        }
        return hostRoot.equals("/") ? "/" + relative : hostRoot + "/" + relative;
    }

    /**
     * Shows SRC over what the view showed at the mount point: an entry of SRC wins, and the rest
     * shows through, listings included. SRC is read-only in the view, so changes reach the layer
     * below: a new file is created there, and changing an entry of SRC fails with EROFS.
     */
    static final class MergeMount implements VirtualMount {
        private final String hostRoot;

        MergeMount(String hostRoot) {
            this.hostRoot = hostRoot;
        }

        @Override
        public PathMapping map(String relative) {
            String host = join(hostRoot, relative);
            if (relative.isEmpty() || Files.exists(Path.of(host), LinkOption.NOFOLLOW_LINKS)) {
                return PathMapping.hostReadOnly(host);
            }
            return PathMapping.below();
        }

        @Override
        public Optional<String> hostRoot() {
            return Optional.of(hostRoot);
        }

        @Override
        public boolean mergesListings() {
            return true;
        }

        @Override
        public boolean hidesNamesBelow(String relativeDir) {
            return false;
        }
    }

    /** A mount with except= subtrees left to the layer below, read-only with {@code ro}. */
    static final class Restricted implements VirtualMount {
        private final VirtualMount mount;
        private final List<String> excepts;
        private final boolean readOnly;

        Restricted(VirtualMount mount, List<String> excepts, boolean readOnly) {
            this.mount = mount;
            this.excepts = List.copyOf(excepts);
            this.readOnly = readOnly;
        }

        @Override
        public PathMapping map(String relative) {
            return excepted(relative) ? PathMapping.below() : mount.map(relative);
        }

        /** Returns the wrapped mount's root; kmview checks that a host path maps back before it shows it so. */
        @Override
        public Optional<String> hostRoot() {
            return mount.hostRoot();
        }

        @Override
        public boolean mergesListings() {
            return !excepts.isEmpty() || mount.mergesListings();
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        @Override
        public boolean tracksChanges() {
            return mount.tracksChanges();
        }

        @Override
        public boolean hidesNamesBelow(String relativeDir) {
            return !excepted(relativeDir) && mount.hidesNamesBelow(relativeDir);
        }

        @Override
        public Optional<PathMapping> prepareChange(String relative, Change change, LowerLayer lower)
                throws ServiceException {
            return excepted(relative) ? Optional.of(PathMapping.below()) : mount.prepareChange(relative, change, lower);
        }

        @Override
        public void movedAway(String relative, LowerLayer lower) {
            if (!excepted(relative)) {
                mount.movedAway(relative, lower);
            }
        }

        private boolean excepted(String relative) {
            for (String except : excepts) {
                if (relative.equals(except) || relative.startsWith(except + "/")) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Shows the host tree at {@code hostRoot} at the mount point. */
    static final class MoveMount implements VirtualMount {
        private final String hostRoot;

        MoveMount(String hostRoot) {
            this.hostRoot = hostRoot;
        }

        @Override
        public PathMapping map(String relative) {
            return PathMapping.host(join(hostRoot, relative));
        }

        @Override
        public Optional<String> hostRoot() {
            return Optional.of(hostRoot);
        }
    }

    /** Shows nothing: the mount point and everything below it are gone. */
    static final class HideMount implements VirtualMount {
        @Override
        public PathMapping map(String relative) {
            return PathMapping.hidden();
        }
    }
}
