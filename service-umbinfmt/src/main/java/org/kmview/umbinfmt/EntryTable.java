package org.kmview.umbinfmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.ServiceException;

/**
 * The entries of one mount and the table's own enabled state. Not thread-safe: the mount guards it.
 */
final class EntryTable {

    /** Newest first, the order binfmt_misc tries its entries in. */
    private final List<Entry> entries = new ArrayList<>();
    private boolean enabled = true;

    boolean enabled() {
        return enabled;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    boolean contains(String name) {
        return get(name).isPresent();
    }

    Optional<Entry> get(String name) {
        return entries.stream().filter(entry -> entry.name().equals(name)).findFirst();
    }

    /** Returns the entries, newest first. */
    List<Entry> entries() {
        return List.copyOf(entries);
    }

    /**
     * Adds an entry ahead of all others.
     *
     * @throws ServiceException EEXIST if an entry of that name is registered
     */
    void add(Entry entry) throws ServiceException {
        if (contains(entry.name())) {
            throw new ServiceException(Errno.EEXIST, "entry " + entry.name()
                    + " is already registered; write -1 to its file to remove it first");
        }
        entries.add(0, entry);
    }

    /** Replaces the entry of the same name, keeping its place in the order. */
    void replace(Entry entry) {
        entries.replaceAll(old -> old.name().equals(entry.name()) ? entry : old);
    }

    void remove(String name) {
        entries.removeIf(entry -> entry.name().equals(name));
    }

    /**
     * Returns the newest enabled entry that matches the executable, or empty when none does or
     * the table is disabled.
     */
    Optional<Entry> match(Executable executable) {
        if (!enabled) {
            return Optional.empty();
        }
        return entries.stream()
                .filter(Entry::enabled)
                .filter(entry -> entry.signature().matches(executable))
                .findFirst();
    }
}
