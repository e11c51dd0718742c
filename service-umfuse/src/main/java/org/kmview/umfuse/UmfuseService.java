package org.kmview.umfuse;

import java.nio.file.Path;
import java.time.Duration;

import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.ViewService;

/**
 * Registers the umfuse file system types: {@code umfusezip} (alias {@code umfusejar}),
 * {@code umfusetar}, {@code umfuseiso9660}, {@code umfusefat}, {@code umfusemem} and
 * {@code umfusenio}; and {@code fuse} and {@code fuseblk}, which FUSE daemons mount through the
 * view's {@code /dev/fuse}.
 */
public final class UmfuseService implements ViewService {

    /** How long a FUSE daemon may take to reply to one request before its file system fails. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String name() {
        return "umfuse";
    }

    @Override
    public String description() {
        return "archives and images as directory trees (viewmount -t umfusezip|tar|iso9660|fat|mem|nio SOURCE DIR),"
                + " and FUSE daemons through /dev/fuse";
    }

    @Override
    public void start(ServiceContext context, Options options) throws ServiceException {
        for (String option : options.names()) {
            if (!option.equals("timeout") || options.value("timeout").isEmpty()) {
                throw new ServiceException(Errno.EINVAL, "umfuse takes only the service option timeout=SECONDS (how "
                        + "long a FUSE daemon may take to reply), got \"" + options
                        + "\"; give mount options to viewmount -o instead");
            }
        }
        Duration timeout = DEFAULT_TIMEOUT;
        if (options.has("timeout")) {
            String value = options.value("timeout").orElseThrow();
            try {
                timeout = Duration.ofSeconds(Long.parseLong(value));
            } catch (NumberFormatException e) {
                timeout = Duration.ZERO;
            }
            if (timeout.isZero() || timeout.isNegative()) {
                throw new ServiceException(Errno.EINVAL, "umfuse option timeout=" + value
                        + " is not a whole number of seconds above 0; give for example timeout=30");
            }
        }
        Path tempParent = Path.of(System.getProperty("java.io.tmpdir"));
        for (UmfuseType type : UmfuseType.all(context, tempParent)) {
            context.registerFileSystem(type);
        }
        try {
            FuseDevice device = new FuseDevice(context, tempParent, timeout);
            for (FuseType type : FuseType.all(device, context, tempParent)) {
                context.registerFileSystem(type);
            }
            context.addDeviceMount("/dev/fuse", device);
        } catch (java.io.IOException e) {
            throw new ServiceException(Errno.EIO, "cannot create the directory of /dev/fuse in " + tempParent + ": "
                    + e.getMessage());
        }
    }
}
