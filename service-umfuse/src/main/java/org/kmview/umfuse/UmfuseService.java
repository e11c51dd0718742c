package org.kmview.umfuse;

import java.nio.file.Path;

import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;

/**
 * Registers the umfuse file system types: {@code umfusezip} (alias {@code umfusejar}),
 * {@code umfusetar}, {@code umfuseiso9660}, {@code umfusefat}, {@code umfusemem} and
 * {@code umfusenio}.
 */
public final class UmfuseService implements ViewService {

    @Override
    public String name() {
        return "umfuse";
    }

    @Override
    public String description() {
        return "archives and images as directory trees (viewmount -t umfusezip|tar|iso9660|fat|mem|nio SOURCE DIR)";
    }

    @Override
    public void start(ServiceContext context, Options options) throws ServiceException {
        if (!options.names().isEmpty()) {
            throw new ServiceException(Errno.EINVAL, "umfuse takes no service options, got \"" + options
                    + "\"; give mount options to viewmount -o instead");
        }
        Path tempParent = Path.of(System.getProperty("java.io.tmpdir"));
        for (UmfuseType type : UmfuseType.all(context, tempParent)) {
            context.registerFileSystem(type);
        }
    }
}
