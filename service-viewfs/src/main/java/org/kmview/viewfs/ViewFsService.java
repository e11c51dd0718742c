package org.kmview.viewfs;

import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;

/**
 * Registers the {@code viewfs} file system type.
 */
public final class ViewFsService implements ViewService {

    @Override
    public String name() {
        return "viewfs";
    }

    @Override
    public String description() {
        return "binds, hides, merges and copies on write paths of the view"
                + " (viewmount -t viewfs -o move|hide|merge|cow|mincow SRC DST)";
    }

    @Override
    public void start(ServiceContext context, Options options) throws ServiceException {
        if (!options.names().isEmpty()) {
            throw new ServiceException(Errno.EINVAL, "viewfs takes no service options, got \"" + options
                    + "\"; give mount options to viewmount -o instead");
        }
        context.registerFileSystem(new ViewFsType());
    }
}
