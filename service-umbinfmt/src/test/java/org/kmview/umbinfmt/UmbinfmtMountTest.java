package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.Interpreter;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;

class UmbinfmtMountTest {

    private static final String PYTHON_LINE = ":python:E::py::/usr/bin/python3:";
    private static final String PYTHON_FILE = "enabled\ninterpreter /usr/bin/python3\nflags: \nextension .py\n";

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private UmbinfmtMount mount;

    private UmbinfmtMount mount(Scope scope, boolean debug) throws ServiceException {
        mount = UmbinfmtMount.create(tempParent, scope, new MountLog(context, "/binfmt", debug));
        return mount;
    }

    private UmbinfmtMount mount() throws ServiceException {
        return mount(Scope.EVERY_EXECUTABLE, false);
    }

    @AfterEach
    void unmount() {
        if (mount != null) {
            mount.unmount();
        }
    }

    private static int write(UmbinfmtMount mount, String file, String data, ControlFile.Caller caller)
            throws ServiceException {
        ControlFile control = mount.controlFile(file).orElseThrow(() -> new AssertionError("no control file " + file));
        return control.write(data.getBytes(StandardCharsets.UTF_8), caller);
    }

    private static int write(UmbinfmtMount mount, String file, String data) throws ServiceException {
        return write(mount, file, data, TestCaller.NO_FILES);
    }

    private static ServiceException rejection(UmbinfmtMount mount, String file, String data) {
        return assertThrows(ServiceException.class, () -> write(mount, file, data));
    }

    private String read(String file) throws IOException {
        return Files.readString(mount.directory().resolve(file), StandardCharsets.UTF_8);
    }

    private String mode(String file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(mount.directory().resolve(file)));
    }

    private List<String> filesOnDisk() throws IOException {
        try (Stream<Path> files = Files.list(mount.directory())) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void newMountHasRegisterAndStatus() throws Exception {
        mount();

        assertEquals(tempParent, mount.directory().getParent());
        assertEquals(List.of("register", "status"), filesOnDisk());
        assertEquals("", read("register"));
        assertEquals("-w-------", mode("register"));
        assertEquals("enabled\n", read("status"));
        assertEquals("rw-r--r--", mode("status"));
    }

    @Test
    void mapShowsOnlyTableFiles() throws Exception {
        mount();
        String directory = mount.directory().toString();

        assertEquals(PathMapping.host(directory), mount.map(""));
        assertEquals(PathMapping.host(directory + "/register"), mount.map("register"));
        assertEquals(PathMapping.host(directory + "/status"), mount.map("status"));
        assertEquals(PathMapping.hidden(), mount.map("python"));
        assertEquals(PathMapping.hidden(), mount.map("status/x"));
        assertEquals(Optional.of(directory), mount.hostRoot());
        assertTrue(mount.controlFile("python").isEmpty());
        assertTrue(mount.controlFile("").isEmpty());
    }

    @Test
    void registerCreatesEntryFile() throws Exception {
        mount();

        assertEquals(PYTHON_LINE.length(), write(mount, "register", PYTHON_LINE));

        assertEquals(List.of("python", "register", "status"), filesOnDisk());
        assertEquals(PYTHON_FILE, read("python"));
        assertEquals("rw-r--r--", mode("python"));
        assertEquals(PathMapping.host(mount.directory() + "/python"), mount.map("python"));
        assertTrue(mount.controlFile("python").isPresent());
        assertEquals("", read("register"));
    }

    @Test
    void entryFileBytesMatchKernel() throws Exception {
        mount();
        write(mount, "register", ":m:M:1:\\x7fE:\\xff\\xdf:/bin/interp:P\n");

        byte[] expected = "enabled\ninterpreter /bin/interp\nflags: P\noffset 1\nmagic 7f45\nmask ffdf\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(expected, Files.readAllBytes(mount.directory().resolve("m")));
    }

    @Test
    void duplicateRegistrationIsEexist() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);

        ServiceException e = rejection(mount, "register", ":python:E::pyw::/usr/bin/other:");
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(PYTHON_FILE, read("python"));
    }

    @Test
    void invalidRegistrationLeavesNoFile() throws Exception {
        mount();

        ServiceException e = rejection(mount, "register", ":bad:M:x::/bin/interp:");
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(List.of("register", "status"), filesOnDisk());
    }

    @Test
    void entryDisableEnableRemove() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        Executable script = Executables.named("/work/run.py");

        assertEquals(1, write(mount, "python", "0"));
        assertEquals(PYTHON_FILE.replace("enabled", "disabled"), read("python"));
        assertEquals(Optional.empty(), mount.interpreterFor(script));

        assertEquals(2, write(mount, "python", "1\n"));
        assertEquals(PYTHON_FILE, read("python"));
        assertTrue(mount.interpreterFor(script).isPresent());

        assertEquals(3, write(mount, "python", "-1\n"));
        assertEquals(List.of("register", "status"), filesOnDisk());
        assertEquals(PathMapping.hidden(), mount.map("python"));
        assertTrue(mount.controlFile("python").isEmpty());
        assertEquals(Optional.empty(), mount.interpreterFor(script));
    }

    @Test
    void entryRejectsOtherCommands() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);

        for (String command : List.of("2", "1 ", "-1\n\n", "enable", "-0", "\n")) {
            ServiceException e = rejection(mount, "python", command);
            assertEquals(Errno.EINVAL, e.errno(), command);
            assertTrue(e.getMessage().contains("written to python"), e.getMessage());
        }
        assertEquals(PYTHON_FILE, read("python"));
    }

    @Test
    void emptyWriteChangesNothing() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);

        assertEquals(0, write(mount, "python", ""));
        assertEquals(0, write(mount, "status", ""));
        assertEquals(PYTHON_FILE, read("python"));
        assertEquals("enabled\n", read("status"));
    }

    @Test
    void rejectedWriteRestoresTruncatedFile() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        // What a shell's `echo x > FILE` does before its write reaches the mount.
        Files.writeString(mount.directory().resolve("python"), "");
        Files.writeString(mount.directory().resolve("status"), "");

        rejection(mount, "python", "x");
        rejection(mount, "status", "x");

        assertEquals(PYTHON_FILE, read("python"));
        assertEquals("enabled\n", read("status"));
    }

    @Test
    void statusDisableEnable() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        Executable script = Executables.named("/work/run.py");

        write(mount, "status", "0\n");
        assertEquals("disabled\n", read("status"));
        assertEquals(PYTHON_FILE, read("python"));
        assertEquals(Optional.empty(), mount.interpreterFor(script));

        write(mount, "status", "1");
        assertEquals("enabled\n", read("status"));
        assertTrue(mount.interpreterFor(script).isPresent());
    }

    @Test
    void statusRemoveAll() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        write(mount, "register", ":elf:M::\\x7fELF::/bin/interp:");

        assertEquals(2, write(mount, "status", "-1"));

        assertEquals(List.of("register", "status"), filesOnDisk());
        assertEquals("enabled\n", read("status"));
        assertEquals(PathMapping.hidden(), mount.map("python"));
        assertEquals(PathMapping.hidden(), mount.map("elf"));
        assertEquals(Optional.empty(), mount.interpreterFor(Executables.named("/work/run.py")));

        write(mount, "register", PYTHON_LINE);
        assertEquals(PYTHON_FILE, read("python"));
    }

    @Test
    void statusRejectsOtherCommands() throws Exception {
        mount();

        ServiceException e = rejection(mount, "status", "yes");
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("written to status"), e.getMessage());
        assertEquals("enabled\n", read("status"));
    }

    @Test
    void interpreterAsRegistered() throws Exception {
        mount();
        write(mount, "register", ":python:E::py::/usr/bin/python3:P");

        assertEquals(Optional.of(new Interpreter("/usr/bin/python3", false, true, false)),
                mount.interpreterFor(Executables.named("run.py")));
    }

    @Test
    void fixedInterpreterResolvedAtRegistration() throws Exception {
        mount();
        TestCaller caller = new TestCaller(31, Map.of("qemu-arm", "/host/opt/qemu/qemu-arm"));
        write(mount, "register", ":arm:M::\\x7fELF\\x01::qemu-arm:FC", caller);

        assertEquals(Optional.of(new Interpreter("/host/opt/qemu/qemu-arm", true, false, true)),
                mount.interpreterFor(Executables.withHeader("/bin/hello", "/bin/hello", 0, 0x7f, 'E', 'L', 'F', 1)));
        assertTrue(read("arm").startsWith("enabled\ninterpreter qemu-arm\nflags: OCF\n"), read("arm"));
    }

    @Test
    void fixedInterpreterMissingIsEnoent() throws Exception {
        mount();

        ServiceException e = rejection(mount, "register", ":arm:M::\\x7fELF\\x01::/usr/bin/qemu-arm:F");
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(List.of("register", "status"), filesOnDisk());
    }

    @Test
    void scopeLimitsMatching() throws Exception {
        mount(new Scope(Optional.of("/opt/arm")), false);
        write(mount, "register", PYTHON_LINE);

        assertTrue(mount.interpreterFor(new Executable("run.py", "/v/run.py", "/opt/arm/bin/run.py",
                new byte[Executable.HEADER_SIZE])).isPresent());
        assertTrue(mount.interpreterFor(new Executable("x.py", "/v/x.py", "/opt/arm",
                new byte[Executable.HEADER_SIZE])).isPresent());
        assertEquals(Optional.empty(), mount.interpreterFor(new Executable("run.py", "/v/run.py",
                "/opt/armory/run.py", new byte[Executable.HEADER_SIZE])));
        assertEquals(Optional.empty(), mount.interpreterFor(new Executable("run.py", "/v/run.py",
                "/usr/bin/run.py", new byte[Executable.HEADER_SIZE])));
    }

    @Test
    void unmountDeletesDirectory() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        Path directory = mount.directory();

        mount.unmount();
        mount = null;

        assertFalse(Files.exists(directory));
    }

    @Test
    void debugLogsEvents() throws Exception {
        mount(Scope.EVERY_EXECUTABLE, true);
        write(mount, "register", PYTHON_LINE);
        mount.interpreterFor(Executables.named("/work/run.py"));
        write(mount, "python", "0");
        write(mount, "python", "-1");
        write(mount, "status", "0");

        assertTrue(context.debugLines.stream().allMatch(line -> line.startsWith("/binfmt: ")),
                context.debugLines.toString());
        assertLogged("mounted a table in " + mount.directory());
        assertLogged("pid 4242 registered python: extension .py, interpreter /usr/bin/python3, flags none");
        assertLogged("execve of /work/run.py matched entry python");
        assertLogged("pid 4242 disabled entry python");
        assertLogged("pid 4242 removed entry python");
        assertLogged("pid 4242 disabled the table");
    }

    @Test
    void withoutDebugOnlyRejectionsLogged() throws Exception {
        mount();
        write(mount, "register", PYTHON_LINE);
        mount.interpreterFor(Executables.named("/work/run.py"));
        rejection(mount, "register", ":bad:M:x1:ab::/bin/interp:");

        assertEquals(1, context.debugLines.size(), context.debugLines.toString());
        String line = context.debugLines.get(0);
        String expected = "/binfmt: pid 4242 write to register rejected with EINVAL: invalid offset \"x1\"";
        assertTrue(line.startsWith(expected), line);
    }

    private void assertLogged(String text) {
        assertTrue(context.debugLines.stream().anyMatch(line -> line.contains(text)),
                "no debug line contains \"" + text + "\" in " + context.debugLines);
    }
}
