package org.kmview.viewfs;

import java.util.Optional;
import java.util.Set;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * The {@code viewfs} type: {@code -o move} (the default) shows SRC at DST, {@code -o hide}
 * removes DST and everything below it from the view.
 */
final class ViewFsType implements FileSystemType {

    private static final Set<String> MODES = Set.of("move", "hide");
    private static final Set<String> LATER_MODES = Set.of("merge", "cow", "mincow");

    @Override
    public String name() {
        return "viewfs";
    }

    @Override
    public VirtualMount mount(MountRequest request) throws ServiceException {
        String mode = "move";
        for (String option : request.options().names()) {
            if (MODES.contains(option)) {
                mode = option;
            } else if (LATER_MODES.contains(option)) {
                throw new ServiceException(Errno.EINVAL,
                        "viewfs mode " + option + " is not supported yet; use move or hide");
            } else {
                throw new ServiceException(Errno.EINVAL,
                        "unknown viewfs option \"" + option + "\"; valid modes are move and hide");
            }
        }

        if (mode.equals("hide")) {
            return new HideMount();
        }
        String hostRoot = request.hostSource().orElseThrow(() -> new ServiceException(Errno.ENOENT,
                "viewfs move source " + request.source() + " does not exist"));
        return new MoveMount(hostRoot);
    }

    /** Shows the host tree at {@code hostRoot} at the mount point. */
    static final class MoveMount implements VirtualMount {
        private final String hostRoot;

        MoveMount(String hostRoot) {
            this.hostRoot = hostRoot;
        }

        @Override
        public PathMapping map(String relative) {
            if (relative.isEmpty()) {
                return PathMapping.host(hostRoot);
            }
            return PathMapping.host(hostRoot.equals("/") ? "/" + relative : hostRoot + "/" + relative);
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
