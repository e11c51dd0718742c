package org.kmview.core.internal.dispatch;

import java.util.LinkedHashMap;
import java.util.Map;

import org.kmview.spi.FileSystemType;

/**
 * The file system types services registered, in service order: when two services register the
 * same type, the earlier one serves it.
 */
public final class FileSystems {

    /** A registered type and the service that registered it. */
    public record Registration(FileSystemType type, String service) {
    }

    private final Map<String, Registration> types = new LinkedHashMap<>();

    /**
     * Registers {@code type} for {@code service}.
     *
     * @throws IllegalStateException if the same service already registered that type name
     */
    public synchronized void register(String service, FileSystemType type) {
        Registration existing = types.get(type.name());
        if (existing != null && existing.service().equals(service)) {
            throw new IllegalStateException("service " + service + " registered file system type "
                    + type.name() + " twice");
        }
        types.putIfAbsent(type.name(), new Registration(type, service));
    }

    /** Returns the registration of {@code name}, or null if no service serves it. */
    public synchronized Registration find(String name) {
        return types.get(name);
    }

    /** Returns whether any type is registered, so paths must be translated. */
    public synchronized boolean isEmpty() {
        return types.isEmpty();
    }
}
