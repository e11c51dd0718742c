package org.kmview.umbinfmt;

import java.nio.file.Path;

import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;

/**
 * Registers the {@code umbinfmt} file system type.
 */
public final class UmbinfmtService implements ViewService {

    @Override
    public String name() {
        return "umbinfmt";
    }

    @Override
    public String description() {
        return "interpreters chosen by magic bytes or extension, as binfmt_misc (viewmount -t umbinfmt none DIR)";
    }

    @Override
    public void start(ServiceContext context, Options options) throws ServiceException {
        if (!options.names().isEmpty()) {
            throw new ServiceException(Errno.EINVAL, "umbinfmt takes no service options, got \"" + options
                    + "\"; give -o debug to viewmount instead");
        }
        Path tempParent = Path.of(System.getProperty("java.io.tmpdir"));
        context.registerFileSystem(new UmbinfmtType(context, tempParent));
    }
}
