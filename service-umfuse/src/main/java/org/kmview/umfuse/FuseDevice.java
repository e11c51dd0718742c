package org.kmview.umfuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.kmview.spi.ControlFile;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.VirtualMount;

/**
 * The virtual {@code /dev/fuse} of the view. Each open of it gets a connection of its own: a new
 * named pipe in a private directory, which the opening process keeps in place of the device.
 * The pipe is a control file, so the process's writes (the daemon's replies) reach its
 * connection, and its reads fail with ENODEV once the file system is unmounted.
 *
 * <p>Used on the tracer thread only.
 */
final class FuseDevice implements VirtualMount {

    private static final String HOST_DEVICE = "/dev/fuse";

    private final ServiceContext context;
    private final Path directory;
    private final Duration timeout;
    private final Map<String, FuseConnection> connections = new HashMap<>();
    private int nextConnection = 1;

    FuseDevice(ServiceContext context, Path tempParent, Duration timeout) throws IOException {
        this.context = context;
        this.directory = Files.createTempDirectory(tempParent, "kmview-fuse-");
        this.timeout = timeout;
    }

    /** Creates a new connection for an open of the device and returns its pipe, the file the process opens. */
    @Override
    public PathMapping map(String relative) {
        if (!relative.isEmpty()) {
            return PathMapping.hidden();
        }
        String name = "connection-" + nextConnection++;
        try {
            FuseConnection connection = FuseConnection.open(context, directory.resolve(name), timeout);
            connections.put(name, connection);
            return PathMapping.host(connection.path());
        } catch (IOException e) {
            context.warn("cannot create the pipe of a new /dev/fuse connection in " + directory + ": "
                    + e.getMessage());
            return PathMapping.hidden();
        }
    }

    /** stat and access see the host's device where it exists, or /dev/null, a character device too. */
    @Override
    public PathMapping lookup(String relative) {
        if (!relative.isEmpty()) {
            return PathMapping.hidden();
        }
        return PathMapping.host(Files.exists(Path.of(HOST_DEVICE)) ? HOST_DEVICE : "/dev/null");
    }

    @Override
    public Optional<String> hostRoot() {
        return Optional.of(directory.toString());
    }

    /** Returns the control file of a connection's pipe, or of the device itself, so that opening the device traps writes. */
    @Override
    public Optional<ControlFile> controlFile(String relative) {
        if (relative.isEmpty()) {
            return Optional.of((data, caller) -> {
                throw new org.kmview.spi.ServiceException(org.kmview.spi.Errno.EINVAL,
                        "a write to /dev/fuse reached no connection");
            });
        }
        return Optional.ofNullable(connections.get(relative));
    }

    /** Returns the connection whose pipe is the host file {@code hostPath}. */
    Optional<FuseConnection> connectionAt(String hostPath) {
        Path path = Path.of(hostPath);
        if (!directory.equals(path.getParent())) {
            return Optional.empty();
        }
        return Optional.ofNullable(connections.get(path.getFileName().toString()));
    }

    /** Closes every connection and removes the private directory. */
    @Override
    public void unmount() {
        for (FuseConnection connection : connections.values()) {
            connection.unmounted();
            connection.close();
        }
        connections.clear();
        try {
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            context.debug("cannot remove " + directory + ": " + e.getMessage());
        }
    }
}
