package org.kmview.umfuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * The {@code fuse} and {@code fuseblk} types (and so {@code fuse.NAME}): the mount(2) that libfuse
 * makes after it opened {@code /dev/fuse}, with the options {@code fd=N,rootmode=M,user_id=U,
 * group_id=G}. Descriptor N of the calling process must be an open of the view's device.
 */
final class FuseType implements FileSystemType {

    private static final long MS_RDONLY = 1;

    private final String name;
    private final FuseDevice device;
    private final ServiceContext context;
    private final Path tempParent;

    FuseType(String name, FuseDevice device, ServiceContext context, Path tempParent) {
        this.name = name;
        this.device = device;
        this.context = context;
        this.tempParent = tempParent;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public VirtualMount mount(MountRequest request) throws ServiceException {
        Options options = request.options();
        String fd = options.value("fd").orElseThrow(() -> new ServiceException(Errno.EINVAL,
                name + " mount of " + request.source() + " has no fd= option; FUSE mounts are made by the daemon, "
                        + "after it opened /dev/fuse"));
        String descriptorPath;
        try {
            descriptorPath = Files.readSymbolicLink(Path.of("/proc", Integer.toString(request.callerPid()), "fd",
                    Integer.toString(Integer.parseInt(fd)))).toString();
        } catch (IOException | NumberFormatException e) {
            throw new ServiceException(Errno.EINVAL, name + " option fd=" + fd + " names no open descriptor of process "
                    + request.callerPid());
        }
        FuseConnection connection = device.connectionAt(descriptorPath).orElseThrow(() -> new ServiceException(
                Errno.EINVAL, name + " option fd=" + fd + " is " + descriptorPath + ", not an open of /dev/fuse"));
        if (!connection.usable()) {
            throw new ServiceException(Errno.EINVAL, name + " option fd=" + fd + " names a /dev/fuse connection that "
                    + "was already unmounted; open /dev/fuse again");
        }

        boolean readWrite = (request.flags() & MS_RDONLY) == 0;
        MountOptions mountOptions = MountOptions.parse(name, Format.FUSE, request.mountPoint(),
                Options.parse(readWrite ? "" : "ro"));
        MountLog log = new MountLog(context, name, request.mountPoint(), false);
        Path root;
        try {
            root = Files.createTempDirectory(tempParent, "kmview-fuse-tree-");
        } catch (IOException e) {
            throw new ServiceException(Errno.EIO, "cannot start the " + name + " mount of " + request.source() + ": "
                    + e.getMessage());
        }
        connection.start(request.callerPid());
        log.event(() -> "mounted " + request.source() + " of " + connection.daemon() + (readWrite ? " read-write"
                : " read-only"));
        return new FuseMount(connection, root, request.source(), mountOptions, readWrite, log);
    }

    /** Returns the types the service registers for FUSE daemons. */
    static java.util.List<FuseType> all(FuseDevice device, ServiceContext context, Path tempParent) {
        return java.util.List.of(new FuseType("fuse", device, context, tempParent),
                new FuseType("fuseblk", device, context, tempParent));
    }
}
