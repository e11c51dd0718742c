package org.kmview.umbinfmt;

import java.nio.file.Path;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * The {@code umbinfmt} type: each mount is a table of its own, backed by a new temporary
 * directory below {@code tempParent}.
 */
final class UmbinfmtType implements FileSystemType {

    static final String DEBUG_OPTION = "debug";

    private final ServiceContext context;
    private final Path tempParent;

    UmbinfmtType(ServiceContext context, Path tempParent) {
        this.context = context;
        this.tempParent = tempParent;
    }

    @Override
    public String name() {
        return "umbinfmt";
    }

    @Override
    public VirtualMount mount(MountRequest request) throws ServiceException {
        boolean debug = parseDebugOption(request.options());
        Scope scope = Scope.of(request);
        MountLog log = new MountLog(context, request.mountPoint(), debug);
        return UmbinfmtMount.create(tempParent, scope, log);
    }

    /** Returns whether {@code -o debug} was given, rejecting every other option. */
    private static boolean parseDebugOption(Options options) throws ServiceException {
        for (String option : options.names()) {
            if (!option.equals(DEBUG_OPTION)) {
                throw new ServiceException(Errno.EINVAL,
                        "unknown umbinfmt option \"" + option + "\". The only option is " + DEBUG_OPTION);
            }
            String value = options.value(DEBUG_OPTION).orElse("");
            if (!value.isEmpty()) {
                throw new ServiceException(Errno.EINVAL,
                        "umbinfmt option debug takes no value, got \"debug=" + value + "\". Give -o debug");
            }
        }
        return options.has(DEBUG_OPTION);
    }
}
