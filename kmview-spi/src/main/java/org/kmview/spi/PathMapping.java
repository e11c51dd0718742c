package org.kmview.spi;

import java.util.Objects;

/**
 * The content of the view at a path below a mount point: a host path, or nothing.
 */
public sealed interface PathMapping permits PathMapping.Host, PathMapping.Hidden {

    /**
     * The view shows the host file at {@code path}; the kernel works on it directly.
     *
     * @param path an absolute host path
     */
    record Host(String path) implements PathMapping {
        /** Checks that the path is absolute. */
        public Host {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("host path must be absolute: " + path);
            }
        }
    }

    /** The path does not exist in the view: every call on it fails with {@code ENOENT}. */
    record Hidden() implements PathMapping {
    }

    /** Returns a mapping onto the host path {@code path}. */
    static PathMapping host(String path) {
        return new Host(path);
    }

    /** Returns the mapping of a hidden path. */
    static PathMapping hidden() {
        return new Hidden();
    }
}
