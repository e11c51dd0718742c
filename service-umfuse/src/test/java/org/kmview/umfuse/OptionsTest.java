package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kmview.spi.Errno;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(60)
class OptionsTest {

    @TempDir
    Path work;

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private Path tar;

    @BeforeEach
    void makeTar() throws Exception {
        Path original = Fixtures.sampleTree(work, true);
        tar = work.resolve("sample.tar");
        Fixtures.run(original, "tar", "cf", tar.toString(), ".");
    }

    private VirtualMount mount(String options) throws ServiceException {
        return Fixtures.mount(context, tempParent, "umfusetar", tar, options);
    }

    private ServiceException rejection(String type, String options) {
        return assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent, type,
                type.equals("umfusemem") ? "none" : tar.toString(), Optional.of(tar.toString()), options));
    }

    @Test
    void exceptSubtreeIsBelow() throws Exception {
        VirtualMount mount = mount("except=dir/sub,except=/mnt/run.sh");

        assertInstanceOf(PathMapping.Below.class, mount.map("dir/sub"));
        assertInstanceOf(PathMapping.Below.class, mount.map("dir/sub/deeper/leaf.txt"));
        assertInstanceOf(PathMapping.Below.class, mount.map("run.sh"));
        assertInstanceOf(PathMapping.Host.class, mount.map("dir/subway"));
        assertInstanceOf(PathMapping.Host.class, mount.map("dir/inner.txt"));
        mount.unmount();
    }

    @Test
    void mergeMissingPathIsBelow() throws Exception {
        VirtualMount mount = mount("merge");

        assertInstanceOf(PathMapping.Below.class, mount.map("not-in-archive"));
        assertInstanceOf(PathMapping.Below.class, mount.map("dir/not-in-archive/x"));
        assertInstanceOf(PathMapping.Host.class, mount.map("hello.txt"));
        mount.unmount();
    }

    @Test
    void withoutMergeMissingPathIsHost() throws Exception {
        VirtualMount mount = mount("");

        PathMapping mapping = mount.map("not-in-archive");

        assertInstanceOf(PathMapping.Host.class, mapping);
        assertTrue(((PathMapping.Host) mapping).path().startsWith(mount.hostRoot().orElseThrow() + "/"));
        mount.unmount();
    }

    @Test
    void modeAndUmaskApply() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusemem", "none", Optional.empty(), "umask=027");
        assertEquals(0750, HostFiles.mode(Fixtures.hostPath(mount, "")));
        mount.unmount();

        VirtualMount tarMount = mount("mode=640,umask=022");
        assertEquals(0640, HostFiles.mode(Fixtures.hostPath(tarMount, "run.sh")), "mode, then umask");
        assertEquals(0750, HostFiles.mode(Fixtures.hostPath(tarMount, "dir/sub")), "directories keep their mode");
        tarMount.unmount();
    }

    @Test
    void uidAndGidApplyAsRoot() throws Exception {
        VirtualMount mount = mount("uid=1234,gid=4321");
        Path file = Fixtures.hostPath(mount, "hello.txt");
        if (HostFiles.isRoot(tempParent)) {
            assertEquals(1234, Files.getAttribute(file, "unix:uid"));
            assertEquals(4321, Files.getAttribute(file, "unix:gid"));
        } else {
            Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains("cannot set owner")),
                    context, "a non-root user is told that the owner cannot be set");
        }
        mount.unmount();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bogus", "ro=1", "except", "uid=abc", "uid=-1", "mode=9", "umask=", "ro,rw",
        "except=/elsewhere", "except=../up", "provider=jar"})
    void invalidOptionIsEinval(String options) {
        ServiceException e = rejection("umfusetar", options);

        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
    }

    @Test
    void unknownOptionIsNamed() {
        ServiceException e = rejection("umfusemem", "colour=blue");

        assertTrue(e.getMessage().contains("\"colour\""), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"umfusetar", "umfuseiso9660"})
    void rwOnReadOnlyTypeIsEinval(String type) {
        ServiceException e = rejection(type, "rw");

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    @Test
    void debugLogsMountAndMaterialisation() throws Exception {
        VirtualMount mount = mount("debug");
        mount.map("hello.txt");
        mount.unmount();

        assertTrue(context.debugLines.stream().anyMatch(line -> line.startsWith("umfusetar /mnt: mounted")),
                context.debugLines.toString());
        assertTrue(context.debugLines.stream().anyMatch(line -> line.contains("materialised hello.txt")),
                context.debugLines.toString());
    }

    @Test
    void withoutDebugNoEvents() throws Exception {
        VirtualMount mount = mount("");
        mount.map("hello.txt");
        mount.unmount();

        assertEquals(0, context.debugLines.stream().filter(line -> line.contains("materialised")).count());
    }
}
