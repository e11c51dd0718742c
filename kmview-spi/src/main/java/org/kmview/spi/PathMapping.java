package org.kmview.spi;

import java.util.Objects;

/**
 * The content of the view at a path below a mount point: a host path, nothing, what the view
 * showed there before the mount, or an error.
 */
public sealed interface PathMapping permits PathMapping.Host, PathMapping.Hidden, PathMapping.Below,
        PathMapping.Failed {

    /**
     * The view shows the host file at {@code path}; the kernel works on it directly.
     *
     * @param path an absolute host path
     * @param readOnly whether calls that would change the file or create or remove a name there
     *        fail with EROFS, as for a layer of a union mount that only the layers above may change
     */
    record Host(String path, boolean readOnly) implements PathMapping {
        /** Checks that the path is absolute. */
        public Host {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("host path must be absolute: " + path);
            }
        }

        /** Creates a writable mapping onto {@code path}. */
        public Host(String path) {
            this(path, false);
        }
    }

    /** The path does not exist in the view: every call on it fails with {@code ENOENT}. */
    record Hidden() implements PathMapping {
    }

    /**
     * The view shows at this path what it showed before this mount: what the mounts below it map
     * the path to, or the host path of the same name. A mount returns it for a subtree it leaves
     * alone ({@code except=PATH}) or for a path its own file system lacks ({@code merge}).
     */
    record Below() implements PathMapping {
    }

    /** Returns a mapping onto the host path {@code path}. */
    static PathMapping host(String path) {
        return new Host(path);
    }

    /** Returns a read-only mapping onto the host path {@code path}: changes there fail with EROFS. */
    static PathMapping hostReadOnly(String path) {
        return new Host(path, true);
    }

    /**
     * Every call on the path fails with {@code errno}: the mount point of a FUSE daemon that
     * ended fails every call with {@code ENOTCONN}, as the kernel's does.
     */
    record Failed(Errno errno) implements PathMapping {
        /** Checks that the errno is given. */
        public Failed {
            Objects.requireNonNull(errno, "errno");
        }
    }

    /** Returns the mapping of a path on which every call fails with {@code errno}. */
    static PathMapping failed(Errno errno) {
        return new Failed(errno);
    }

    /** Returns the mapping of a hidden path. */
    static PathMapping hidden() {
        return new Hidden();
    }

    /** Returns the mapping of a path that shows what lies below the mount. */
    static PathMapping below() {
        return new Below();
    }
}
