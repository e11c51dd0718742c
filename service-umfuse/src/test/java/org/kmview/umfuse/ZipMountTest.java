package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(60)
class ZipMountTest {

    @TempDir
    Path work;

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private Path original;
    private Path zip;

    @BeforeEach
    void makeZip() throws Exception {
        Fixtures.requireTool("zip", "zip");
        original = Fixtures.sampleTree(work, true);
        zip = work.resolve("sample.zip");
        Fixtures.run(original, "zip", "-qry", zip.toString(), ".");
    }

    @Test
    void treeMatchesOriginal() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "ro");

        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, true, true));
        mount.unmount();
    }

    @Test
    void readWriteKeepsArchiveModes() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusejar", zip, "");

        Fixtures.assertSameTree(original, mount, Fixtures.Checks.ALL);
        mount.unmount();
    }

    @Test
    void readOnlyKeepsModes() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "ro");

        assertTrue(mount.readOnly(), "kmview refuses changes below a read-only mount with EROFS");
        assertEquals(0644, HostFiles.mode(Fixtures.hostPath(mount, "hello.txt")));
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "run.sh")));
        assertEquals(0750, HostFiles.mode(Fixtures.hostPath(mount, "dir/sub")));
        mount.unmount();
    }

    @Test
    void contentWrittenOnFirstMap() throws Exception {
        UmfuseMount mount = (UmfuseMount) Fixtures.mount(context, tempParent, "umfusezip", zip, "ro,debug");
        Path placeholder = mount.root().resolve("dir/random.bin");

        assertTrue(mount.isPending("dir/random.bin"));
        assertEquals(300_000, Files.size(placeholder));
        assertArrayEquals(new byte[300_000], Files.readAllBytes(placeholder), "placeholder is all zeros");

        Path mapped = Fixtures.hostPath(mount, "dir/random.bin");

        assertFalse(mount.isPending("dir/random.bin"));
        assertArrayEquals(Files.readAllBytes(original.resolve("dir/random.bin")), Files.readAllBytes(mapped));
        assertTrue(mount.isPending("hello.txt"), "other files stay placeholders");
        boolean logged = context.debugLines.stream().anyMatch(line -> line.contains("materialised dir/random.bin"));
        Fixtures.assertTrueWithLog(logged, context, "materialisation logged");
        mount.unmount();
    }

    @Test
    void unchangedTreeLeavesSourceAlone() throws Exception {
        byte[] before = Files.readAllBytes(zip);
        var modified = Files.getLastModifiedTime(zip);
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "debug");
        Fixtures.assertSameTree(original, mount, Fixtures.Checks.ALL);

        mount.unmount();

        assertArrayEquals(before, Files.readAllBytes(zip));
        assertEquals(modified, Files.getLastModifiedTime(zip));
        assertEquals(List.of(), Fixtures.leftovers(tempParent), "tree deleted");
    }

    @Test
    void writeBackRoundTrip() throws Exception {
        Fixtures.requireTool("unzip", "unzip");
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "debug");
        Path root = Path.of(mount.hostRoot().orElseThrow());

        Files.writeString(Fixtures.hostPath(mount, "hello.txt"), "changed\n");
        Files.writeString(Fixtures.hostPath(mount, "dir/new.txt"), "new file\n");
        HostFiles.setMode(root.resolve("dir/new.txt"), 0600);
        Files.delete(Fixtures.hostPath(mount, "name with space.txt"));
        // Renaming the directory moves placeholders that were never mapped: their content must
        // still come from the archive.
        Files.move(Fixtures.hostPath(mount, "dir/sub"), root.resolve("dir/moved"));
        Files.createSymbolicLink(root.resolve("newlink"), Path.of("hello.txt"));
        mount.unmount();

        Fixtures.run(work, "unzip", "-tq", zip.toString());
        Path extracted = Files.createDirectory(work.resolve("extracted"));
        Fixtures.run(extracted, "unzip", "-q", zip.toString());
        assertEquals("changed\n", Files.readString(extracted.resolve("hello.txt")));
        assertEquals("new file\n", Files.readString(extracted.resolve("dir/new.txt")));
        assertEquals(0600, HostFiles.mode(extracted.resolve("dir/new.txt")));
        assertFalse(Files.exists(extracted.resolve("name with space.txt")));
        assertEquals("leaf\n", Files.readString(extracted.resolve("dir/moved/deeper/leaf.txt")));
        assertEquals(0444, HostFiles.mode(extracted.resolve("dir/moved/deeper/leaf.txt")));
        assertArrayEquals(Files.readAllBytes(original.resolve("dir/random.bin")),
                Files.readAllBytes(extracted.resolve("dir/random.bin")));
        assertEquals(0755, HostFiles.mode(extracted.resolve("run.sh")));
        assertEquals(Path.of("hello.txt"), Files.readSymbolicLink(extracted.resolve("newlink")));
        assertEquals(Path.of("dir/inner.txt"), Files.readSymbolicLink(extracted.resolve("link")));
        assertEquals(Fixtures.FILE_TIME.toMillis() / 1000,
                Files.getLastModifiedTime(extracted.resolve("run.sh")).toMillis() / 1000, "entry time kept");
        assertEquals(List.of(), Fixtures.leftovers(tempParent), "tree deleted");
        try (var siblings = Files.list(work)) {
            assertTrue(siblings.noneMatch(path -> path.getFileName().toString().endsWith(".umfuse-new")),
                    "no temporary image left");
        }
    }

    @Test
    void readOnlyNeverWritesBack() throws Exception {
        byte[] before = Files.readAllBytes(zip);
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "ro");
        Path root = Path.of(mount.hostRoot().orElseThrow());
        HostFiles.setMode(root, 0755);
        Files.writeString(root.resolve("added.txt"), "x", StandardCharsets.UTF_8);

        mount.unmount();

        assertArrayEquals(before, Files.readAllBytes(zip));
    }

    @Test
    void failedWriteBackKeepsTree() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", zip, "");
        Files.writeString(Fixtures.hostPath(mount, "hello.txt"), "changed\n");
        byte[] before = Files.readAllBytes(zip);
        Files.delete(zip);
        Files.createDirectory(zip);

        mount.unmount();

        Path keptTree = Path.of(mount.hostRoot().orElseThrow());
        assertEquals("changed\n", Files.readString(keptTree.resolve("hello.txt")));
        Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains("write-back")
                && line.contains(keptTree.toString())), context, "failure logged with the kept tree's path");
        assertTrue(before.length > 0);
        HostFiles.deleteTree(keptTree);
    }

    @Test
    void badCrcHidesEntry() throws Exception {
        // A stored (uncompressed) entry whose bytes changed still reads, so only the CRC shows the fault.
        Path stored = work.resolve("stored.zip");
        Fixtures.run(original, "zip", "-q0", stored.toString(), "hello.txt");
        byte[] bytes = Files.readAllBytes(stored);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        int content = text.indexOf("hello, world");
        assertTrue(content > 0, "the stored entry's bytes are in the zip");
        bytes[content] = 'j';
        Files.write(stored, bytes);

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusezip", stored, "ro");

        assertInstanceOf(org.kmview.spi.PathMapping.Hidden.class, mount.map("hello.txt"));
        Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains("CRC")), context,
                "the CRC mismatch is logged");
        mount.unmount();
    }

    @Test
    void truncatedZipIsEinval() throws Exception {
        Path cut = Fixtures.truncated(zip, "cut.zip", Files.size(zip) / 2);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusezip", cut, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith(cut.toString() + ": "), e.getMessage());
        Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains(cut.toString())),
                context, "fault logged");
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void garbageIsEinval() throws Exception {
        Path garbage = Fixtures.garbage(work, "garbage.zip", 10_000);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusezip", garbage, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void missingSourceIsEnoent() {
        ServiceException e = assertThrows(ServiceException.class, () -> Fixtures.mount(context, tempParent,
                "umfusezip", "/no/such.zip", java.util.Optional.empty(), ""));

        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/no/such.zip"), e.getMessage());
    }
}
