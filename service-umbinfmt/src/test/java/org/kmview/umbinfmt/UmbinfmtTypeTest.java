package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

class UmbinfmtTypeTest {

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private final List<VirtualMount> mounts = new ArrayList<>();

    @AfterEach
    void unmountAll() {
        mounts.forEach(VirtualMount::unmount);
    }

    private VirtualMount mount(String source, Optional<String> hostSource, String options) throws ServiceException {
        UmbinfmtType type = new UmbinfmtType(context, tempParent);
        VirtualMount mount = type.mount(new MountRequest(source, hostSource, "/binfmt", Options.parse(options), 0));
        mounts.add(mount);
        return mount;
    }

    private ServiceException rejection(String source, Optional<String> hostSource, String options) {
        return assertThrows(ServiceException.class, () -> mount(source, hostSource, options));
    }

    private static boolean claims(VirtualMount mount, String hostPath) throws ServiceException {
        Executable executable = new Executable("run.py", "/view/run.py", hostPath, new byte[Executable.HEADER_SIZE]);
        return mount.interpreterFor(executable).isPresent();
    }

    private static VirtualMount withPythonEntry(VirtualMount mount) throws ServiceException {
        byte[] line = ":python:E::py::/usr/bin/python3:".getBytes(StandardCharsets.UTF_8);
        mount.controlFile("register").orElseThrow().write(line, TestCaller.NO_FILES);
        return mount;
    }

    private List<Path> tableDirectories() throws IOException {
        try (Stream<Path> directories = Files.list(tempParent)) {
            return directories.toList();
        }
    }

    @Test
    void typeName() {
        assertEquals("umbinfmt", new UmbinfmtType(context, tempParent).name());
    }

    @Test
    void mountCreatesTableBelowTempParent() throws Exception {
        VirtualMount mount = mount("none", Optional.empty(), "");

        assertInstanceOf(UmbinfmtMount.class, mount);
        assertEquals(1, tableDirectories().size());
        assertEquals(Optional.of(tableDirectories().get(0).toString()), mount.hostRoot());
    }

    @Test
    void noneAndRootApplyEverywhere() throws Exception {
        // A file named "none" in the working directory must not narrow the scope.
        assertTrue(claims(withPythonEntry(mount("none", Optional.of("/home/user/none"), "")), "/anywhere/run.py"));
        assertTrue(claims(withPythonEntry(mount("/", Optional.of("/"), "")), "/anywhere/run.py"));
    }

    @Test
    void sourcePathLimitsScope() throws Exception {
        VirtualMount mount = withPythonEntry(mount("/opt/arm/", Optional.of("/host/opt/arm/"), ""));

        assertTrue(claims(mount, "/host/opt/arm/bin/run.py"));
        assertFalse(claims(mount, "/opt/arm/bin/run.py"));
        assertFalse(claims(mount, "/host/opt/armory/run.py"));
    }

    @Test
    void hostRootSourceAppliesEverywhere() throws Exception {
        VirtualMount mount = withPythonEntry(mount("/mnt/root", Optional.of("/"), ""));

        assertTrue(claims(mount, "/anywhere/run.py"));
    }

    @Test
    void missingSourceIsEnoent() throws Exception {
        ServiceException e = rejection("/no/such/dir", Optional.empty(), "");

        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/no/such/dir"), e.getMessage());
        assertEquals(List.of(), tableDirectories());
    }

    @Test
    void debugOptionAccepted() throws Exception {
        withPythonEntry(mount("none", Optional.empty(), "debug"));

        assertTrue(context.debugLines.stream().anyMatch(line -> line.contains("registered python")),
                context.debugLines.toString());
    }

    @Test
    void unknownOptionIsEinval() throws Exception {
        for (String options : List.of("ro", "debug,verbose", "Debug")) {
            ServiceException e = rejection("none", Optional.empty(), options);
            String unknown = options.contains(",") ? options.substring(options.indexOf(',') + 1) : options;

            assertEquals(Errno.EINVAL, e.errno(), options);
            assertTrue(e.getMessage().contains("\"" + unknown + "\""), e.getMessage());
        }
        assertEquals(List.of(), tableDirectories());
    }

    @Test
    void debugWithValueIsEinval() {
        ServiceException e = rejection("none", Optional.empty(), "debug=1");

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("debug=1"), e.getMessage());
    }
}
