package org.kmview.umbinfmt;

import java.util.Map;
import java.util.Optional;

import org.kmview.spi.ControlFile;

/**
 * A writing process whose view is a fixed map from view paths to host paths. Any other path
 * does not exist.
 */
record TestCaller(int pid, Map<String, String> hostPaths) implements ControlFile.Caller {

    static final TestCaller NO_FILES = new TestCaller(4242, Map.of());

    @Override
    public Optional<String> hostPath(String path) {
        return Optional.ofNullable(hostPaths.get(path));
    }
}
