package org.kmview.umfuse;

import java.util.ArrayList;
import java.util.List;

import org.kmview.spi.FileSystemType;
import org.kmview.spi.ServiceContext;

/** A service context that keeps the registered types and the debug lines for the test to check. */
final class RecordingContext implements ServiceContext {

    final List<FileSystemType> types = new ArrayList<>();
    final List<String> debugLines = new ArrayList<>();
    final java.util.Map<String, org.kmview.spi.VirtualMount> deviceMounts = new java.util.LinkedHashMap<>();

    @Override
    public void registerFileSystem(FileSystemType type) {
        types.add(type);
    }

    @Override
    public void debug(String message) {
        debugLines.add(message);
    }

    /** Keeps a warning among the debug lines, where kmview's log also has it. */
    @Override
    public void warn(String message) {
        debugLines.add(message);
    }

    @Override
    public void addDeviceMount(String viewPath, org.kmview.spi.VirtualMount mount) {
        deviceMounts.put(viewPath, mount);
    }

    @Override
    public String viewName() {
        return "test";
    }
}
