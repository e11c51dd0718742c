package org.kmview.example.scratch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;
import org.kmview.spi.VirtualMount;

/**
 * The {@code scratch} file system type: {@code viewmount -t scratch none DIR} shows a new, empty
 * directory at DIR, private to this mount, and deletes it with everything in it at unmount.
 */
public final class ScratchService implements ViewService {

    @Override
    public String name() {
        return "scratch";
    }

    @Override
    public String description() {
        return "private scratch directories, deleted at unmount (mount -t scratch none DIR)";
    }

    @Override
    public void start(ServiceContext context, Options options) throws ServiceException {
        if (!options.names().isEmpty()) {
            throw new ServiceException(Errno.EINVAL, "scratch takes no service options, got \"" + options + "\"");
        }
        context.registerFileSystem(new ScratchType());
    }

    private static final class ScratchType implements FileSystemType {
        @Override
        public String name() {
            return "scratch";
        }

        @Override
        public VirtualMount mount(MountRequest request) throws ServiceException {
            if (!request.options().names().isEmpty()) {
                throw new ServiceException(Errno.EINVAL, "scratch takes no mount options, got \""
                        + request.options() + "\"");
            }
            try {
                return new ScratchMount(Files.createTempDirectory("kmview-scratch-"));
            } catch (IOException e) {
                throw new ServiceException(Errno.EIO, "cannot create a scratch directory: " + e.getMessage());
            }
        }
    }

    /** One scratch directory on the host, shown whole at the mount point. */
    private static final class ScratchMount implements VirtualMount {
        private final Path directory;

        ScratchMount(Path directory) {
            this.directory = directory;
        }

        @Override
        public PathMapping map(String relative) {
            return PathMapping.host(relative.isEmpty() ? directory.toString() : directory + "/" + relative);
        }

        @Override
        public Optional<String> hostRoot() {
            return Optional.of(directory.toString());
        }

        @Override
        public void unmount() {
            try (Stream<Path> tree = Files.walk(directory)) {
                tree.sorted(Comparator.reverseOrder()).forEach(ScratchMount::delete);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete scratch directory " + directory, e);
            }
        }

        private static void delete(Path path) {
            try {
                Files.delete(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + path, e);
            }
        }
    }
}
