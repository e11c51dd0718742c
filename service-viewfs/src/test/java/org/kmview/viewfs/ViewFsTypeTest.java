package org.kmview.viewfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.spi.Errno;
import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/** The viewfs options: modes move, hide and merge, ro and except=. */
class ViewFsTypeTest {

    @TempDir
    Path source;

    private VirtualMount mount(String options) throws ServiceException {
        MountRequest request = new MountRequest(source.toString(), Optional.of(source.toString()), "/mnt/dst",
                Options.parse(options), 0);
        return new ViewFsType().mount(request);
    }

    @Test
    void mergeSourceReadOnlyRestBelow() throws Exception {
        Files.writeString(source.resolve("present"), "x");
        VirtualMount mount = mount("merge");

        PathMapping present = mount.map("present");
        assertEquals(new PathMapping.Host(source.resolve("present").toString(), true), present);
        assertInstanceOf(PathMapping.Below.class, mount.map("absent"));
        assertTrue(mount.mergesListings());
        assertFalse(mount.readOnly(), "the layer below stays writable");
    }

    @Test
    void exceptLeavesSubtreeBelow() throws Exception {
        VirtualMount mount = mount("move,except=/mnt/dst/keep,except=other/deep");

        assertInstanceOf(PathMapping.Below.class, mount.map("keep"));
        assertInstanceOf(PathMapping.Below.class, mount.map("keep/file"));
        assertInstanceOf(PathMapping.Below.class, mount.map("other/deep/x"));
        assertEquals(new PathMapping.Host(source.resolve("keeper").toString()), mount.map("keeper"));
        assertTrue(mount.mergesListings());
    }

    @Test
    void roMakesAnyModeReadOnly() throws Exception {
        assertTrue(mount("ro").readOnly());
        assertTrue(mount("merge,ro").readOnly());
        assertFalse(mount("move").readOnly());
    }

    @Test
    void badOptionsAreEinval() throws IOException {
        for (String options : new String[] {"cow,merge", "move,hide", "sparkle", "except=/elsewhere", "except=a/../b", "except=."}) {
            ServiceException e = assertThrows(ServiceException.class, () -> mount(options), options);
            assertEquals(Errno.EINVAL, e.errno(), options);
        }
    }
}
