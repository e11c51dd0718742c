package org.kmview.spi;

import java.util.Optional;

/**
 * The layer below a mount: what the view showed below the mount point before the mount, that is
 * the mounts under it, or the host.
 * A mount with layers reads it to copy an entry up or to tell whether a name exists below.
 */
public interface LowerLayer {

    /**
     * Returns the host path the layer below shows at {@code relative} (a path below the mount
     * point), whether or not a file exists there, or empty if that layer hides the path.
     */
    Optional<String> hostPath(String relative);
}
