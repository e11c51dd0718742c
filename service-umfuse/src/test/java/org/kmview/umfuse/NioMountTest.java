package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(60)
class NioMountTest {

    @TempDir
    Path work;

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private Path original;

    @BeforeEach
    void makeTree() throws Exception {
        original = Fixtures.sampleTree(work, true);
    }

    @Test
    void defaultProviderDirectoryMatches() throws Exception {
        String uri = original.toUri().toString();

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusenio", uri, Optional.empty(), "provider=file");

        Fixtures.assertSameTree(original, mount, Fixtures.Checks.ALL);
        mount.unmount();
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void defaultProviderWriteBack() throws Exception {
        String uri = original.toUri().toString();
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusenio", uri, Optional.empty(), "provider=file");
        Path root = Path.of(mount.hostRoot().orElseThrow());

        Files.writeString(Fixtures.hostPath(mount, "hello.txt"), "changed\n");
        Files.writeString(root.resolve("dir/added.txt"), "added\n");
        Files.delete(Fixtures.hostPath(mount, "empty"));
        HostFiles.setMode(Fixtures.hostPath(mount, "dir/inner.txt"), 0600);
        Files.move(Fixtures.hostPath(mount, "dir/sub"), root.resolve("dir/moved"));
        mount.unmount();

        assertEquals("changed\n", Files.readString(original.resolve("hello.txt")));
        assertEquals("added\n", Files.readString(original.resolve("dir/added.txt")));
        assertFalse(Files.exists(original.resolve("empty")));
        assertEquals("inner\n", Files.readString(original.resolve("dir/inner.txt")), "mode change kept content");
        assertEquals(0600, HostFiles.mode(original.resolve("dir/inner.txt")));
        assertEquals("leaf\n", Files.readString(original.resolve("dir/moved/deeper/leaf.txt")));
        assertFalse(Files.exists(original.resolve("dir/sub")));
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void jarProviderReadsZip() throws Exception {
        Fixtures.requireTool("zip", "zip");
        Path zip = work.resolve("sample.zip");
        Fixtures.run(original, "zip", "-qr", zip.toString(), ".");

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusenio", "jar:" + zip.toUri(), Optional.empty(),
                "provider=jar,ro");

        // The JDK's zip file system shows symbolic links as files, so they are left out here.
        assertEquals("hello, world\n", Files.readString(Fixtures.hostPath(mount, "hello.txt")));
        assertEquals("leaf\n", Files.readString(Fixtures.hostPath(mount, "dir/sub/deeper/leaf.txt")));
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "run.sh")));
        mount.unmount();
    }

    @Test
    void jarProviderWritesBackOnPlainPath() throws Exception {
        Fixtures.requireTool("zip", "zip");
        Path zip = work.resolve("sample.zip");
        Fixtures.run(original, "zip", "-qr", zip.toString(), "hello.txt", "dir");
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusenio", zip.toString(),
                Optional.of(zip.toString()), "provider=jar");

        Files.writeString(Fixtures.hostPath(mount, "hello.txt"), "changed in zip\n");
        mount.unmount();

        try (var zipFs = FileSystems.newFileSystem(zip, Map.of())) {
            assertEquals("changed in zip\n", Files.readString(zipFs.getPath("/hello.txt")));
            assertEquals("inner\n", Files.readString(zipFs.getPath("/dir/inner.txt")));
        }
    }

    @Test
    void unknownProviderIsEinval() {
        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusenio", "nosuch:/x", Optional.empty(), "provider=nosuch"));

        assertEquals(Errno.EINVAL, e.errno());
                assertTrue(e.getMessage().contains("nosuch"), e.getMessage());
        assertTrue(e.getMessage().contains("jar"), "lists the available schemes: " + e.getMessage());
    }

    @Test
    void missingProviderOptionIsEinval() {
        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusenio", original.toUri().toString(), Optional.empty(), ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("provider="), e.getMessage());
    }

    @Test
    void schemeMismatchIsEinval() {
        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusenio", original.toUri().toString(), Optional.empty(), "provider=jar"));

        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void missingDirectoryIsEnoent() {
        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusenio", work.resolve("absent").toUri().toString(), Optional.empty(), "provider=file"));

        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void garbageZipIsEinval() throws Exception {
        Path garbage = Fixtures.garbage(work, "garbage.zip", 5000);

        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusenio", garbage.toString(), Optional.of(garbage.toString()), "provider=jar"));

        assertEquals(Errno.EINVAL, e.errno());
    }
}
