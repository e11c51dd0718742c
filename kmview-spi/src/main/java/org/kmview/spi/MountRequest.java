package org.kmview.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * A {@code mount(2)} call in the view, with its paths already resolved.
 *
 * @param source the source argument exactly as the process passed it (for example {@code none})
 * @param hostSource the host path of the source as the view resolves it, or empty when the
 *        source does not name an existing file
 * @param mountPoint the absolute, canonical path in the view where the mount will appear; it
 *        need not exist
 * @param options the parsed data argument ({@code -o} options)
 * @param flags the {@code MS_*} flags of the call
 * @param callerPid the process that called mount(2), or 0 when none did. A FUSE mount names
 *        the descriptor of its device in the options, and only this process can resolve it
 */
public record MountRequest(String source, Optional<String> hostSource, String mountPoint,
                           Options options, long flags, int callerPid) {

    /** Checks that no component is null. */
    public MountRequest {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(hostSource, "hostSource");
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(options, "options");
    }

    /** Creates a request that no process made, such as one from a test. */
    public MountRequest(String source, Optional<String> hostSource, String mountPoint, Options options, long flags) {
        this(source, hostSource, mountPoint, options, flags, 0);
    }
}
