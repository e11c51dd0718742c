package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

@Timeout(60)
class IsoMountTest {

    @TempDir
    Path work;

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();
    private Path original;

    @BeforeEach
    void makeTree() throws Exception {
        Fixtures.requireTool("genisoimage", "genisoimage");
        original = Fixtures.sampleTree(work, true);
    }

    private Path iso(String name, String... flags) throws Exception {
        Path image = work.resolve(name);
        String[] command = new String[flags.length + 5];
        command[0] = "genisoimage";
        command[1] = "-quiet";
        System.arraycopy(flags, 0, command, 2, flags.length);
        command[flags.length + 2] = "-o";
        command[flags.length + 3] = image.toString();
        command[flags.length + 4] = original.toString();
        Fixtures.run(work, command);
        return image;
    }

    @Test
    void rockRidgeMatchesOriginal() throws Exception {
        // -R keeps the real modes, owners and times (-r would normalise them).
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfuseiso9660", iso("rr.iso", "-R", "-J"), "");

        Fixtures.assertSameTree(original, mount, Fixtures.Checks.ALL);
        assertTrue(mount.readOnly());
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "run.sh")));
        assertEquals(0640, HostFiles.mode(Fixtures.hostPath(mount, "dir/inner.txt")));
        assertEquals(0750, HostFiles.mode(Fixtures.hostPath(mount, "dir/sub")));
        mount.unmount();
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void deepDirectoriesAreRelocatedBack() throws Exception {
        Path deep = Files.createDirectories(original.resolve("l1/l2/l3/l4/l5/l6/l7/l8/l9/l10"));
        Files.writeString(deep.resolve("bottom.txt"), "deep\n");
        Fixtures.setTimes(original);

        VirtualMount mount = Fixtures.mount(context, tempParent, "umfuseiso9660", iso("deep.iso", "-R"), "");

        assertEquals("deep\n", Files.readString(Fixtures.hostPath(mount, "l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/bottom.txt")));
        Fixtures.assertSameTree(original, mount, new Fixtures.Checks(false, true, true));
        mount.unmount();
    }

    @Test
    void jolietNamesWithoutRockRidge() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfuseiso9660", iso("joliet.iso", "-J"), "");

        Set<String> names = Fixtures.relativePaths(Path.of(mount.hostRoot().orElseThrow())).keySet();
        assertTrue(names.contains("grüße.txt"), names.toString());
        assertTrue(names.contains("name with space.txt"), names.toString());
        assertEquals("leaf\n", Files.readString(Fixtures.hostPath(mount, "dir/sub/deeper/leaf.txt")));
        mount.unmount();
    }

    @Test
    void plainIsoNamesAreLowerCase() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfuseiso9660", iso("plain.iso"), "");

        assertEquals("hello, world\n", Files.readString(Fixtures.hostPath(mount, "hello.txt")));
        assertEquals(0644, HostFiles.mode(Fixtures.hostPath(mount, "hello.txt")));
        mount.unmount();
    }

    @Test
    void truncatedImageIsEinval() throws Exception {
        Path image = iso("rr.iso", "-R");
        Path cut = Fixtures.truncated(image, "cut.iso", Files.size(image) - 4096);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfuseiso9660", cut, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
    }

    @Test
    void garbageIsEinval() throws Exception {
        Path garbage = Fixtures.garbage(work, "garbage.iso", 100_000);

        ServiceException e = assertThrows(ServiceException.class,
                () -> Fixtures.mount(context, tempParent, "umfuseiso9660", garbage, ""));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("no ISO 9660 volume descriptor"), e.getMessage());
    }
}
