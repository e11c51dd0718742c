package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(60)
class TarMountTest {

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

    /** Names end in .bin so that nothing but the content can tell the format. */
    private Path tar(String flags, String name) throws Exception {
        Path archive = work.resolve(name);
        Fixtures.run(original, "tar", flags, archive.toString(), ".");
        return archive;
    }

    @Test
    void fifoIsSkipped() throws Exception {
        Fixtures.run(original, "mkfifo", "pipe");
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", tar("cf", "fifo.tar"), "");

        assertFalse(Files.exists(Fixtures.hostPath(mount, "pipe"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "a FIFO shows as nothing, not as an empty file");
        Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains("skipped entry ./pipe")
                || line.contains("skipped entry pipe")), context, "the skipped FIFO is logged");
        mount.unmount();
    }

    @ParameterizedTest
    @CsvSource({"cf,xz-utils", "czf,gzip", "cjf,bzip2", "cJf,xz-utils"})
    void compressedTarMatchesOriginal(String flags, String debianPackage) throws Exception {
        Fixtures.requireTool(flags.contains("J") ? "xz" : flags.contains("j") ? "bzip2" : "tar", debianPackage);
        Path archive = tar(flags, "archive-" + flags + ".bin");

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, true, true));
        mount.unmount();
        assertEquals(List.of(), Fixtures.leftovers(tempParent), "tree and decompressed copy deleted");
    }

    @Test
    void tarModesSurvive() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", tar("cf", "a.tar"), "");

        assertTrue(mount.readOnly(), "a tar mount is read-only");
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "run.sh")));
        assertEquals(0640, HostFiles.mode(Fixtures.hostPath(mount, "dir/inner.txt")));
        assertEquals(0750, HostFiles.mode(Fixtures.hostPath(mount, "dir/sub")));
        assertEquals(0600, HostFiles.mode(Fixtures.hostPath(mount, "empty")));
        mount.unmount();
    }

    @Test
    void hardLinksStayLinked() throws Exception {
        Files.createLink(original.resolve("hard"), original.resolve("dir/inner.txt"));
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", tar("cf", "links.tar"), "");

        Path first = Fixtures.hostPath(mount, "dir/inner.txt");
        Path second = Fixtures.hostPath(mount, "hard");

        Object firstKey = Files.readAttributes(first, BasicFileAttributes.class).fileKey();
        assertEquals(firstKey, Files.readAttributes(second, BasicFileAttributes.class).fileKey());
        assertEquals("inner\n", Files.readString(second));
        mount.unmount();
    }

    @Test
    void cpioMatchesOriginal() throws Exception {
        Fixtures.requireTool("cpio", "cpio");
        Files.createLink(original.resolve("hard"), original.resolve("dir/inner.txt"));
        Path archive = work.resolve("archive.cpio");
        Fixtures.run(original, "sh", "-c", "find . -mindepth 1 | cpio --quiet -o -H newc > " + archive);

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, true, true));
        Object key = Files.readAttributes(Fixtures.hostPath(mount, "hard"), BasicFileAttributes.class).fileKey();
        assertEquals(key, Files.readAttributes(Fixtures.hostPath(mount, "dir/inner.txt"),
                BasicFileAttributes.class).fileKey());
        mount.unmount();
    }

    @Test
    void gzippedCpioMatchesOriginal() throws Exception {
        Fixtures.requireTool("cpio", "cpio");
        Path archive = work.resolve("archive.cpio.gz");
        Fixtures.run(original, "sh", "-c", "find . -mindepth 1 | cpio --quiet -o -H newc | gzip > " + archive);

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, true, true));
        mount.unmount();
    }

    @Test
    void arMembersMatch() throws Exception {
        Fixtures.requireTool("ar", "binutils");
        // U stores real modes and times; Debian's ar defaults to deterministic mode 0644.
        Path archive = work.resolve("members.a");
        Fixtures.run(original, "ar", "rcU", archive.toString(), "hello.txt", "run.sh", "empty");
        Fixtures.run(original.resolve("dir"), "ar", "rU", archive.toString(), "random.bin");

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        assertEquals("hello, world\n", Files.readString(Fixtures.hostPath(mount, "hello.txt")));
        assertEquals("#!/bin/sh\necho run\n", Files.readString(Fixtures.hostPath(mount, "run.sh")));
        assertEquals(0, Files.size(Fixtures.hostPath(mount, "empty")));
        assertArrayEquals(Files.readAllBytes(original.resolve("dir/random.bin")),
                Files.readAllBytes(Fixtures.hostPath(mount, "random.bin")));
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "run.sh")));
        mount.unmount();
    }

    @Test
    void manyEntriesMountWithoutExtraction() throws Exception {
        Path archive = work.resolve("many.tar");
        int count = 20_000;
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(archive))) {
            byte[] content = "0123456789\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < count; i++) {
                TarArchiveEntry entry = new TarArchiveEntry("d" + i % 100 + "/f" + i);
                entry.setSize(content.length);
                out.putArchiveEntry(entry);
                out.write(content);
                out.closeArchiveEntry();
            }
        }

        UmfuseMount mount = (UmfuseMount) Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        List<String> statCommand = new ArrayList<>(List.of("stat", "-c", "%b"));
        for (int i = 0; i < count; i += 997) {
            String relative = "d" + i % 100 + "/f" + i;
            assertTrue(mount.isPending(relative), relative + " is still a placeholder");
            statCommand.add(relative);
        }
        String blocks = Fixtures.run(mount.root(), statCommand.toArray(String[]::new));
        assertTrue(blocks.lines().allMatch(line -> line.equals("0")), "placeholders are sparse: " + blocks);
        assertEquals("0123456789\n", Files.readString(Fixtures.hostPath(mount, "d7/f19907")));
        mount.unmount();
    }

    @Test
    void dotDotEntriesAreSkipped() throws Exception {
        Path archive = work.resolve("escape.tar");
        Files.createDirectories(work.resolve("a"));
        Files.writeString(work.resolve("a/escape.txt"), "outside\n");
        Fixtures.run(work.resolve("a"), "tar", "cf", archive.toString(), "--absolute-names", "../a/escape.txt");

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusetar", archive, "");

        assertEquals(List.of(), List.copyOf(Fixtures.relativePaths(Path.of(mount.hostRoot().orElseThrow())).keySet()));
        Fixtures.assertTrueWithLog(context.debugLines.stream().anyMatch(line -> line.contains("\"..\"")), context,
                "skip logged");
        mount.unmount();
    }

    @Test
    void rwOnTarIsEinval() throws Exception {
        Path archive = tar("cf", "a.tar");

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusetar", archive, "rw"));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"cf,a.tar", "czf,a.tgz", "cJf,a.txz", "cjf,a.tbz"})
    void truncatedArchiveIsEinval(String flags, String name) throws Exception {
        Path archive = tar(flags, name);
        Path cut = Fixtures.truncated(archive, "cut-" + name, Files.size(archive) * 2 / 3);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusetar", cut, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
        assertEquals(List.of(), Fixtures.leftovers(tempParent), "no tree or decompressed copy left");
    }

    @Test
    void truncatedCpioIsEinval() throws Exception {
        Fixtures.requireTool("cpio", "cpio");
        Path archive = work.resolve("archive.cpio");
        Fixtures.run(original, "sh", "-c", "find . -mindepth 1 | cpio --quiet -o -H newc > " + archive);
        Path cut = Fixtures.truncated(archive, "cut.cpio", Files.size(archive) / 2);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusetar", cut, ""));

        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void garbageIsEinval() throws Exception {
        Path garbage = Fixtures.garbage(work, "garbage.tar", 20_000);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusetar", garbage, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("not a tar, cpio or ar archive"), e.getMessage());
    }

    @Test
    void zipContentPointsToUmfusezip() throws Exception {
        Fixtures.requireTool("zip", "zip");
        Path zip = work.resolve("really-a-zip.tar");
        Fixtures.run(original, "zip", "-qr", zip.toString(), ".");

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusetar", zip, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("umfusezip"), e.getMessage());
        assertFalse(Files.exists(tempParent.resolve("x")));
    }
}
