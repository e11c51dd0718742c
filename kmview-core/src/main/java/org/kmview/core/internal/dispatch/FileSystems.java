package org.kmview.core.internal.dispatch;

import java.util.ArrayList;
import java.util.List;

import org.kmview.spi.FileSystemType;

/**
 * The file system types services registered, and the services' order of precedence: when two
 * services register the same type, the one earlier in the order serves it. Thread-safe.
 */
public final class FileSystems {

    /** A registered type and the service that registered it. */
    public record Registration(FileSystemType type, String service) {
    }

    private final List<Registration> registrations = new ArrayList<>();
    private final List<String> order = new ArrayList<>();

    /**
     * Registers {@code type} for {@code service}, which joins the end of the order if it is new.
     *
     * @throws IllegalStateException if the same service already registered that type name
     */
    public synchronized void register(String service, FileSystemType type) {
        for (Registration existing : registrations) {
            if (existing.service().equals(service) && existing.type().name().equals(type.name())) {
                throw new IllegalStateException("service " + service + " registered file system type "
                        + type.name() + " twice");
            }
        }
        registrations.add(new Registration(type, service));
        if (!order.contains(service)) {
            order.add(service);
        }
    }

    /**
     * Returns the registration of {@code name} by the earliest service in the order, or null. A
     * type with a subtype, {@code fuse.sshfs}, falls back to its main type {@code fuse} when no
     * service registered it whole, as the kernel's lookup does.
     */
    public synchronized Registration find(String name) {
        Registration whole = findExactly(name);
        int dot = name.indexOf('.');
        return whole != null || dot <= 0 ? whole : findExactly(name.substring(0, dot));
    }

    private Registration findExactly(String name) {
        Registration best = null;
        for (Registration registration : registrations) {
            if (registration.type().name().equals(name)
                    && (best == null || order.indexOf(registration.service()) < order.indexOf(best.service()))) {
                best = registration;
            }
        }
        return best;
    }

    /** Returns whether any type is registered, so paths must be translated. */
    public synchronized boolean isEmpty() {
        return registrations.isEmpty();
    }

    /** Returns whether {@code service} registered any type. */
    public synchronized boolean hasTypes(String service) {
        return registrations.stream().anyMatch(registration -> registration.service().equals(service));
    }

    /** Forgets every type of {@code service}. */
    public synchronized void removeService(String service) {
        registrations.removeIf(registration -> registration.service().equals(service));
        order.remove(service);
    }

    /** Sets the order of precedence; services not named keep their types but come last. */
    public synchronized void setOrder(List<String> services) {
        List<String> rest = new ArrayList<>(order);
        rest.removeAll(services);
        order.clear();
        order.addAll(services);
        order.addAll(rest);
    }
}
