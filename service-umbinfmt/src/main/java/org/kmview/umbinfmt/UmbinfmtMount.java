package org.kmview.umbinfmt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.kmview.spi.ControlFile;
import org.kmview.spi.ControlFile.Caller;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.Interpreter;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * A mounted binfmt_misc table. The mount point shows a private temporary directory that contains
 * {@code register}, {@code status} and one file per entry. kmview hands writes to those files to
 * this mount and lets the kernel serve reads, so every change is written to disk before the write
 * returns.
 *
 * <p>Every method that reads or changes the table holds this object's lock, because kmview may
 * serve a write to one file, a path lookup and an execve on different threads.
 */
final class UmbinfmtMount implements VirtualMount {

    static final String REGISTER = "register";
    static final String STATUS = "status";

    private static final Set<PosixFilePermission> REGISTER_MODE = PosixFilePermissions.fromString("-w-------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path directory;
    private final Scope scope;
    private final MountLog log;
    private final EntryTable table = new EntryTable();

    private UmbinfmtMount(Path directory, Scope scope, MountLog log) {
        this.directory = directory;
        this.scope = scope;
        this.log = log;
    }

    /**
     * Creates a mount with an empty, enabled table in a new directory below {@code tempParent}.
     *
     * @throws ServiceException EIO if the directory or its files cannot be created
     */
    static UmbinfmtMount create(Path tempParent, Scope scope, MountLog log) throws ServiceException {
        Path directory;
        try {
            directory = Files.createTempDirectory(tempParent, "kmview-umbinfmt-");
        } catch (IOException e) {
            throw new ServiceException(Errno.EIO, "failed to create the umbinfmt table directory in "
                    + tempParent + ": " + e.getMessage());
        }

        UmbinfmtMount mount = new UmbinfmtMount(directory, scope, log);
        try {
            writeFile(directory.resolve(REGISTER), "", REGISTER_MODE);
            writeFile(directory.resolve(STATUS), statusText(true), FILE_MODE);
        } catch (IOException e) {
            mount.unmount();
            throw new ServiceException(Errno.EIO, "failed to create the files of the umbinfmt table in "
                    + directory + ": " + e.getMessage());
        }
        log.event(() -> "mounted a table in " + directory + " for " + scope);
        return mount;
    }

    @Override
    public PathMapping map(String relative) {
        if (relative.isEmpty()) {
            return PathMapping.host(directory.toString());
        }
        if (isTableFile(relative)) {
            return PathMapping.host(directory.resolve(relative).toString());
        }
        return PathMapping.hidden();
    }

    @Override
    public Optional<String> hostRoot() {
        return Optional.of(directory.toString());
    }

    @Override
    public Optional<ControlFile> controlFile(String relative) {
        if (relative.equals(REGISTER)) {
            return Optional.of(this::writeRegister);
        }
        if (relative.equals(STATUS)) {
            return Optional.of(this::writeStatus);
        }
        if (isTableFile(relative)) {
            return Optional.of((data, caller) -> writeEntry(relative, data, caller));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Interpreter> interpreterFor(Executable executable) {
        if (!scope.contains(executable.hostPath())) {
            return Optional.empty();
        }
        Optional<Entry> match;
        synchronized (this) {
            match = table.match(executable);
        }
        match.ifPresent(entry -> log.event(() -> "execve of " + executable.viewPath() + " matched entry "
                + entry.describe()));
        return match.map(Entry::toInterpreter);
    }

    /** Deletes the table directory. A failure is logged, because the view has already dropped the mount. */
    @Override
    public synchronized void unmount() {
        try {
            List<Path> files;
            try (Stream<Path> listing = Files.list(directory)) {
                files = listing.toList();
            }
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
            log.event(() -> "unmounted and deleted " + directory);
        } catch (IOException e) {
            log.error("failed to delete the table directory " + directory + ": " + e);
        }
    }

    /** Returns the host directory that backs the mount point. */
    Path directory() {
        return directory;
    }

    private synchronized boolean isTableFile(String relative) {
        return relative.equals(REGISTER) || relative.equals(STATUS) || table.contains(relative);
    }

    private int writeRegister(byte[] data, Caller caller) throws ServiceException {
        Entry entry;
        try {
            entry = Entry.parse(data, caller);
            add(entry);
        } catch (ServiceException e) {
            throw rejected(REGISTER, caller, e);
        }
        log.event(() -> "pid " + caller.pid() + " registered " + entry.describe());
        return data.length;
    }

    private synchronized void add(Entry entry) throws ServiceException {
        Path file = entryFile(entry.name());
        table.add(entry);
        try {
            writeOrFail(file, entry.render(), FILE_MODE);
        } catch (ServiceException e) {
            table.remove(entry.name());
            throw e;
        }
    }

    private synchronized int writeEntry(String name, byte[] data, Caller caller) throws ServiceException {
        Optional<Entry> registered = table.get(name);
        if (registered.isEmpty()) {
            ServiceException removed = new ServiceException(Errno.ENOENT,
                    "entry " + name + " is no longer registered; register it again");
            throw rejected(name, caller, removed);
        }
        Entry entry = registered.get();
        if (data.length == 0) {
            // binfmt_misc returns 0 for an empty write and changes nothing.
            return 0;
        }

        Command command;
        try {
            command = Command.parse(data, name);
        } catch (ServiceException e) {
            restore(entryFile(name), entry.render());
            throw rejected(name, caller, e);
        }

        if (command == Command.REMOVE) {
            deleteOrFail(entryFile(name));
            table.remove(name);
        } else {
            Entry updated = entry.withEnabled(command == Command.ENABLE);
            writeOrFail(entryFile(name), updated.render(), FILE_MODE);
            table.replace(updated);
        }
        log.event(() -> "pid " + caller.pid() + " " + pastTense(command) + " entry " + name);
        return data.length;
    }

    private synchronized int writeStatus(byte[] data, Caller caller) throws ServiceException {
        if (data.length == 0) {
            // binfmt_misc returns 0 for an empty write and changes nothing.
            return 0;
        }

        Command command;
        try {
            command = Command.parse(data, STATUS);
        } catch (ServiceException e) {
            restore(directory.resolve(STATUS), statusText(table.enabled()));
            throw rejected(STATUS, caller, e);
        }

        if (command == Command.REMOVE) {
            List<Entry> entries = table.entries();
            for (Entry entry : entries) {
                deleteOrFail(entryFile(entry.name()));
                table.remove(entry.name());
            }
            restore(directory.resolve(STATUS), statusText(table.enabled()));
            log.event(() -> "pid " + caller.pid() + " removed all " + entries.size() + " entries");
        } else {
            boolean enabled = command == Command.ENABLE;
            writeOrFail(directory.resolve(STATUS), statusText(enabled), FILE_MODE);
            table.setEnabled(enabled);
            log.event(() -> "pid " + caller.pid() + " " + pastTense(command) + " the table");
        }
        return data.length;
    }

    /** Logs a rejected write and returns its exception for the caller to throw. */
    private ServiceException rejected(String file, Caller caller, ServiceException e) {
        log.error("pid " + caller.pid() + " write to " + file + " rejected with " + e.errno() + ": " + e.getMessage());
        return e;
    }

    /**
     * Rewrites a file whose write was rejected. A shell's {@code echo x > FILE} truncates the host
     * file when it opens it, before kmview hands the write to this mount.
     */
    private void restore(Path file, String content) {
        try {
            writeFile(file, content, FILE_MODE);
        } catch (IOException e) {
            log.error("failed to restore " + file + ": " + e);
        }
    }

    private Path entryFile(String name) throws ServiceException {
        try {
            return directory.resolve(name);
        } catch (InvalidPathException e) {
            throw new ServiceException(Errno.EINVAL, "invalid name \"" + name + "\": not usable as a host file name ("
                    + e.getReason() + "). Use ASCII letters, digits, - and _");
        }
    }

    private void writeOrFail(Path file, String content, Set<PosixFilePermission> mode) throws ServiceException {
        try {
            writeFile(file, content, mode);
        } catch (IOException e) {
            log.error("failed to write " + file + ": " + e);
            throw new ServiceException(Errno.EIO, "failed to write " + file + ": " + e.getMessage());
        }
    }

    private void deleteOrFail(Path file) throws ServiceException {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.error("failed to delete " + file + ": " + e);
            throw new ServiceException(Errno.EIO, "failed to delete " + file + ": " + e.getMessage());
        }
    }

    /**
     * Writes a file in place and sets its mode, which the process's umask must not narrow.
     *
     * <p>NOTE: a process that reads the file while it is rewritten may see it empty or short.
     */
    private static void writeFile(Path file, String content, Set<PosixFilePermission> mode) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, mode);
    }

    private static String statusText(boolean enabled) {
        return enabled ? "enabled\n" : "disabled\n";
    }

    private static String pastTense(Command command) {
        return switch (command) {
            case ENABLE -> "enabled";
            case DISABLE -> "disabled";
            case REMOVE -> "removed";
        };
    }
}
