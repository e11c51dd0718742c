package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(120)
class FatMountTest {

    @TempDir
    Path work;

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private Path original;

    @BeforeEach
    void makeTree() throws Exception {
        Fixtures.requireTool("mkfs.vfat", "dosfstools");
        Fixtures.requireTool("mcopy", "mtools");
        original = Fixtures.sampleTree(work, false);
    }

    /** Formats an image of {@code kilobytes} with {@code fatBits} and copies the sample tree into it. */
    private Path image(int fatBits, int kilobytes) throws Exception {
        Path image = work.resolve("fat" + fatBits + ".img");
        Fixtures.run(work, "mkfs.vfat", "-C", "-F", Integer.toString(fatBits), "-n", "TESTVOL",
                image.toString(), Integer.toString(kilobytes));
        Fixtures.run(original, "sh", "-c", "mcopy -s -m -i " + image + " * ::/");
        return image;
    }

    private static String fatType(Path image) throws Exception {
        return Fixtures.run(image.getParent(), "file", "-b", image.toString());
    }

    @ParameterizedTest
    @CsvSource({"12,1440", "16,32768", "32,70000"})
    void treeMatchesOriginal(int fatBits, int kilobytes) throws Exception {
        Path image = image(fatBits, kilobytes);

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusefat", image, "ro");

        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, false, true));
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "dir")));
        assertEquals(0644, HostFiles.mode(Fixtures.hostPath(mount, "hello.txt")));
        mount.unmount();
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @ParameterizedTest
    @CsvSource({"12,1440", "16,32768", "32,70000"})
    void writeBackRoundTrip(int fatBits, int kilobytes) throws Exception {
        Fixtures.requireTool("fsck.vfat", "dosfstools");
        Fixtures.requireTool("file", "file");
        Path image = image(fatBits, kilobytes);
        long size = Files.size(image);
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusefat", image, "debug");
        Path root = Path.of(mount.hostRoot().orElseThrow());

        Files.writeString(Fixtures.hostPath(mount, "hello.txt"), "changed on FAT\n");
        Files.createDirectory(root.resolve("newdir"));
        Files.writeString(root.resolve("newdir/A Long File Name.txt"), "long name\n");
        Files.delete(Fixtures.hostPath(mount, "empty"));
        mount.unmount();

        assertEquals(size, Files.size(image), "same image size");
        Fixtures.run(work, "fsck.vfat", "-n", image.toString());
        assertEquals("changed on FAT\n", Fixtures.run(work, "mtype", "-i", image.toString(), "::/hello.txt"));
        assertEquals("long name\n",
                Fixtures.run(work, "mtype", "-i", image.toString(), "::/newdir/A Long File Name.txt"));
        String listing = Fixtures.run(work, "mdir", "-i", image.toString(), "::/");
        assertTrue(listing.contains("TESTVOL"), "volume label kept: " + listing);
        assertFalse(listing.contains(" empty"), listing);
        String type = fatType(image);
        assertTrue(type.contains("FAT (" + fatBits + " bit)"), "FAT type kept: " + type);

        Path extracted = Files.createDirectory(work.resolve("extracted"));
        Fixtures.run(extracted, "mcopy", "-s", "-i", image.toString(), "::/dir", ".");
        assertArrayEquals(Files.readAllBytes(original.resolve("dir/random.bin")),
                Files.readAllBytes(extracted.resolve("dir/random.bin")),
                "a file never materialised is copied from the old image");
        assertEquals("leaf\n", Files.readString(extracted.resolve("dir/sub/deeper/leaf.txt")));
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void unchangedImageLeftAlone() throws Exception {
        Path image = image(12, 1440);
        byte[] before = Files.readAllBytes(image);
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusefat", image, "");
        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, false, true));

        mount.unmount();

        assertArrayEquals(before, Files.readAllBytes(image));
    }

    @Test
    void truncatedImageIsEinval() throws Exception {
        Path image = image(16, 32768);
        Path cut = Fixtures.truncated(image, "cut.img", Files.size(image) / 2);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusefat", cut, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void garbageIsEinval() throws Exception {
        Path garbage = Fixtures.garbage(work, "garbage.img", 100_000);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfusefat", garbage, ""));

        assertEquals(Errno.EINVAL, e.errno());
    }
}
