package org.kmview.viewfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Change;
import org.kmview.spi.Errno;
import org.kmview.spi.LowerLayer;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;

/** viewfs cow: mapping, copy-up, whiteouts and opaque directories, on real directories. */
class CowMountTest {

    @TempDir
    Path upper;

    @TempDir
    Path lowerRoot;

    private LowerLayer lower;
    private CowMount mount;

    @BeforeEach
    void createLayers() throws Exception {
        Files.createDirectories(lowerRoot.resolve("dir/sub"));
        Files.writeString(lowerRoot.resolve("dir/file"), "lower\n");
        Files.setPosixFilePermissions(lowerRoot.resolve("dir/file"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(lowerRoot.resolve("dir/file"), FileTime.fromMillis(1_000_000_000_000L));
        Files.createSymbolicLink(lowerRoot.resolve("link"), Path.of("dir/file"));
        lower = relative -> Optional.of(relative.isEmpty() ? lowerRoot.toString() : lowerRoot.resolve(relative).toString());
        mount = new CowMount(upper, false);
    }

    private String upperPath(String relative) {
        return upper.resolve(relative).toString();
    }

    @Test
    void lowerEntriesShowThroughUntilCopiedUp() throws Exception {
        assertInstanceOf(PathMapping.Below.class, mount.map("dir/file"));

        PathMapping prepared = mount.prepareChange("dir/file", Change.WRITE, lower).orElseThrow();

        assertEquals(PathMapping.host(upperPath("dir/file")), prepared);
        assertEquals("lower\n", Files.readString(upper.resolve("dir/file")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(upper.resolve("dir/file"))));
        assertEquals(FileTime.fromMillis(1_000_000_000_000L), Files.getLastModifiedTime(upper.resolve("dir/file")));
        assertEquals(PathMapping.host(upperPath("dir/file")), mount.map("dir/file"));
        assertTrue(Files.isDirectory(upper.resolve("dir")), "the parent was made in SRC");
        assertFalse(Files.exists(upper.resolve("dir/sub")), "siblings stay below");
    }

    @Test
    void symlinkCopiedUpAsLink() throws Exception {
        mount.prepareChange("link", Change.WRITE, lower);

        assertEquals(Path.of("dir/file"), Files.readSymbolicLink(upper.resolve("link")));
    }

    @Test
    void removalOfLowerEntryIsWhiteout() throws Exception {
        assertEquals(Optional.empty(), mount.prepareChange("dir/file", Change.REMOVE_FILE, lower));

        assertEquals(PathMapping.host(upperPath("dir/file")), mount.map("dir/file"), "shown as missing in SRC");
        assertFalse(Files.exists(upper.resolve("dir/file")));
        assertTrue(Files.exists(lowerRoot.resolve("dir/file")), "DST is untouched");
        assertEquals(java.util.Set.of("file"), mount.whiteoutsIn("dir"));
        assertEquals(java.util.Set.of("file"), new CowMount(upper, false).whiteoutsIn("dir"), "whiteouts last");
    }

    @Test
    void removalErrorsMatchTheKernel() throws Exception {
        assertEquals(Errno.EISDIR, assertThrows(ServiceException.class,
                () -> mount.prepareChange("dir", Change.REMOVE_FILE, lower)).errno());
        assertEquals(Errno.ENOTDIR, assertThrows(ServiceException.class,
                () -> mount.prepareChange("dir/file", Change.REMOVE_DIRECTORY, lower)).errno());
        assertEquals(Errno.ENOTEMPTY, assertThrows(ServiceException.class,
                () -> mount.prepareChange("dir", Change.REMOVE_DIRECTORY, lower)).errno());
        assertEquals(Errno.ENOENT, assertThrows(ServiceException.class,
                () -> mount.prepareChange("missing/new", Change.WRITE, lower)).errno());
        assertEquals(Errno.ENOTDIR, assertThrows(ServiceException.class,
                () -> mount.prepareChange("dir/file/new", Change.WRITE, lower)).errno());
    }

    @Test
    void directoryRecreatedOverWhiteoutIsOpaque() throws Exception {
        mount.prepareChange("dir/file", Change.REMOVE_FILE, lower);
        mount.prepareChange("dir/sub", Change.REMOVE_DIRECTORY, lower);
        mount.prepareChange("dir", Change.REMOVE_DIRECTORY, lower);

        PathMapping made = mount.prepareChange("dir", Change.WRITE, lower).orElseThrow();
        Files.createDirectory(Path.of(((PathMapping.Host) made).path()));

        assertEquals(PathMapping.host(upperPath("dir/file")), mount.map("dir/file"), "the old file stays hidden");
        assertInstanceOf(PathMapping.Host.class, mount.map("dir"));
    }

    @Test
    void storeIsHiddenAndEscapesNames() throws Exception {
        String odd = "we\\ird\nname";
        Files.writeString(lowerRoot.resolve(odd), "x");
        mount.prepareChange(odd, Change.REMOVE_FILE, lower);

        assertInstanceOf(PathMapping.Hidden.class, mount.map(WhiteoutStore.DIRECTORY));
        assertInstanceOf(PathMapping.Hidden.class, mount.map(WhiteoutStore.DIRECTORY + "/whiteouts"));
        assertEquals("we\\\\ird\\nname\n", Files.readString(upper.resolve(WhiteoutStore.DIRECTORY + "/whiteouts")));
        assertTrue(new CowMount(upper, false).whiteoutsIn("").contains(odd));
    }

    @Test
    void renamedAwayEntryIsWhitedOut() throws Exception {
        mount.prepareChange("dir/file", Change.WRITE, lower);
        Files.move(upper.resolve("dir/file"), upper.resolve("dir/moved"));

        mount.movedAway("dir/file", lower);

        assertEquals(java.util.Set.of("file"), mount.whiteoutsIn("dir"));
    }
}
