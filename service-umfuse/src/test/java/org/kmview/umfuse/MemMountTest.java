package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.VirtualMount;

@Timeout(30)
class MemMountTest {

    @TempDir
    Path tempParent;

    private final RecordingContext context = new RecordingContext();

    @Test
    void startsEmptyAndWritable() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusemem", "none", Optional.empty(), "");
        Path root = Fixtures.hostPath(mount, "");

        assertEquals(Optional.of(root.toString()), mount.hostRoot());
        assertEquals(List.of(), Fixtures.leftovers(root));
        Files.createDirectories(Fixtures.hostPath(mount, "a/b"));
        Files.writeString(Fixtures.hostPath(mount, "a/b/file"), "data");
        assertEquals("data", Files.readString(Fixtures.hostPath(mount, "a/b/file")));
        mount.unmount();
    }

    @Test
    void unmountDeletesEverything() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusemem", "none", Optional.empty(), "debug");
        Path root = Fixtures.hostPath(mount, "");
        Files.createDirectories(root.resolve("d"));
        Files.writeString(root.resolve("d/f"), "x");
        HostFiles.setMode(root.resolve("d"), 0500);

        mount.unmount();

        assertFalse(Files.exists(root));
        assertEquals(List.of(), Fixtures.leftovers(tempParent));
        boolean logged = context.debugLines.stream().anyMatch(line -> line.contains("unmounted"));
        assertTrue(logged, context.debugLines.toString());
    }

    @Test
    void readOnlyMountKeepsModes() throws Exception {
        VirtualMount mount = Fixtures.mount(context, tempParent, "umfusemem", "none", Optional.empty(), "ro");

        assertTrue(mount.readOnly(), "kmview refuses changes below a read-only mount with EROFS");
        assertEquals(0755, HostFiles.mode(Fixtures.hostPath(mount, "")));
        mount.unmount();
    }
}
