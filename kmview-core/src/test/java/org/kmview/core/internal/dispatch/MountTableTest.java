package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.kmview.spi.PathMapping;
import org.kmview.spi.VirtualMount;

class MountTableTest {

    private final MountTable table = new MountTable();

    /** Returns a move mount that shows the host tree at {@code hostRoot}. */
    static VirtualMount move(String hostRoot) {
        return new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host(relative.isEmpty() ? hostRoot : hostRoot + "/" + relative);
            }

            @Override
            public Optional<String> hostRoot() {
                return Optional.of(hostRoot);
            }
        };
    }

    /** Returns a hide mount: nothing exists at or below its mount point. */
    static VirtualMount hide() {
        return relative -> PathMapping.hidden();
    }

    static MountTable.Entry entry(String mountPoint, VirtualMount mount) {
        return new MountTable.Entry(mountPoint, "viewfs", "none", "viewfs", mount);
    }

    @Test
    void emptyTableMapsToItself() {
        MountTable.Mapped mapped = table.map("/a/b");

        assertTrue(table.isEmpty());
        assertEquals("/a/b", mapped.hostPath());
        assertFalse(mapped.viaMount());
    }

    @Test
    void longestPrefixWins() {
        table.add(entry("/a", move("/host/a")));
        table.add(entry("/a/b", move("/host/b")));
        table.add(entry("/", move("/host/root")));

        assertEquals("/host/b/c", table.map("/a/b/c").hostPath());
        assertEquals("/host/b", table.map("/a/b").hostPath());
        assertEquals("/host/a/c", table.map("/a/c").hostPath());
        assertEquals("/host/a", table.map("/a").hostPath());
        assertEquals("/host/root/x", table.map("/x").hostPath());
    }

    @Test
    void prefixMatchesWholeComponents() {
        table.add(entry("/a", move("/host/a")));

        MountTable.Mapped mapped = table.map("/ab/c");

        assertEquals("/ab/c", mapped.hostPath());
        assertFalse(mapped.viaMount());
    }

    @Test
    void laterMountOnSamePointWins() {
        table.add(entry("/a", move("/host/first")));
        table.add(entry("/a", move("/host/second")));

        assertEquals("/host/second/x", table.map("/a/x").hostPath());
    }

    @Test
    void removePopsTopmost() {
        MountTable.Entry first = entry("/a", move("/host/first"));
        MountTable.Entry second = entry("/a", move("/host/second"));
        table.add(first);
        table.add(second);

        assertSame(second, table.remove("/a").orElseThrow());
        assertEquals("/host/first/x", table.map("/a/x").hostPath());
        assertSame(first, table.remove("/a").orElseThrow());
        assertFalse(table.map("/a/x").viaMount());
        assertEquals(Optional.empty(), table.remove("/a"));
        assertTrue(table.isEmpty());
    }

    @Test
    void removeUnknownPointIsEmpty() {
        table.add(entry("/a", move("/host/a")));

        assertEquals(Optional.empty(), table.remove("/a/b"));
        assertEquals(1, table.entries().size());
    }

    @Test
    void hiddenMapsToNull() {
        table.add(entry("/a/secret", hide()));

        MountTable.Mapped mapped = table.map("/a/secret/x");

        assertNull(mapped.hostPath());
        assertTrue(mapped.hidden());
        assertTrue(mapped.viaMount());
    }

    @Test
    void toViewReverseMapping() {
        table.add(entry("/view/dst", move("/host/src")));

        MountTable.ViewName below = table.toView("/host/src/dir/f");
        MountTable.ViewName root = table.toView("/host/src");

        assertEquals("/view/dst/dir/f", below.viewPath());
        assertTrue(below.viaMount());
        assertEquals("/view/dst", root.viewPath());
        assertTrue(root.viaMount());
    }

    @Test
    void toViewOutsideRootsUnchanged() {
        table.add(entry("/view/dst", move("/host/src")));

        MountTable.ViewName name = table.toView("/host/srcother/f");

        assertEquals("/host/srcother/f", name.viewPath());
        assertFalse(name.viaMount());
    }

    @Test
    void toViewLongestRootWins() {
        table.add(entry("/deep", move("/host/tree/deep")));
        table.add(entry("/tree", move("/host/tree")));

        assertEquals("/deep/f", table.toView("/host/tree/deep/f").viewPath());
        assertEquals("/tree/other", table.toView("/host/tree/other").viewPath());
    }

    @Test
    void toViewToRootMountPoint() {
        table.add(entry("/", move("/host/newroot")));

        assertEquals("/etc/passwd", table.toView("/host/newroot/etc/passwd").viewPath());
        assertEquals("/", table.toView("/host/newroot").viewPath());
    }

    @Test
    void toViewSkipsRootContainingPoint() {
        // SRC / onto DST /mnt/all: every host path is below "/", so the mount is no reverse map.
        table.add(entry("/mnt/all", move("/")));
        table.add(entry("/home/u/data", move("/home/u")));

        MountTable.ViewName system = table.toView("/etc/passwd");
        MountTable.ViewName data = table.toView("/home/u/data/x");

        assertEquals("/etc/passwd", system.viewPath());
        assertFalse(system.viaMount());
        assertEquals("/home/u/data/x", data.viewPath());
        assertFalse(data.viaMount());
    }

    @Test
    void hasHostRootsFollowsMounts() {
        table.add(entry("/secret", hide()));
        assertFalse(table.hasHostRoots());

        table.add(entry("/dst", move("/src")));
        assertTrue(table.hasHostRoots());

        table.remove("/dst");
        assertFalse(table.hasHostRoots());
    }

    @Test
    void hiddenNamesInParent() {
        table.add(entry("/a/secret", hide()));
        table.add(entry("/a/shown", move("/host/shown")));
        table.add(entry("/a/b/deep", hide()));
        table.add(entry("/top", hide()));

        assertEquals(List.of("secret"), table.hiddenNamesIn("/a"));
        assertEquals(List.of("deep"), table.hiddenNamesIn("/a/b"));
        assertEquals(List.of("top"), table.hiddenNamesIn("/"));
        assertEquals(List.of(), table.hiddenNamesIn("/a/secret"));
        assertEquals(List.of(), table.hiddenNamesIn("/host"));
    }

    @Test
    void hiddenNamesSkipCoveredHide() {
        // A move on top of a hide shows the mount point again, so a listing must keep its name.
        table.add(entry("/a/s", hide()));
        table.add(entry("/a/s", move("/host/s")));

        assertTrue(table.map("/a/s").viaMount());
        assertFalse(table.map("/a/s").hidden());
        assertEquals(List.of(), table.hiddenNamesIn("/a"));
    }

    @Test
    void hiddenNamesAfterRemove() {
        table.add(entry("/a/s", hide()));
        table.remove("/a/s");

        assertEquals(List.of(), table.hiddenNamesIn("/a"));
    }

    @Test
    void entriesOldestFirst() {
        MountTable.Entry first = entry("/a", move("/host/a"));
        MountTable.Entry second = entry("/b", hide());
        table.add(first);
        table.add(second);

        assertEquals(List.of(first, second), table.entries());
    }

    @Test
    void earlierServiceKeepsSharedPoint() {
        table.setServiceOrder(List.of("first", "second"));
        table.add(new MountTable.Entry("/m", "t", "none", "first", move("/a")));
        table.add(new MountTable.Entry("/m", "t", "none", "second", move("/b")));

        assertEquals("/a/x", table.map("/m/x").hostPath());

        table.setServiceOrder(List.of("second", "first"));
        assertEquals("/b/x", table.map("/m/x").hostPath());
    }

    @Test
    void belowFallsThroughToLowerMountThenHost() {
        table.add(entry("/mnt", move("/host/lower")));
        VirtualMount upper = relative -> relative.startsWith("keep")
                ? PathMapping.below() : PathMapping.host("/host/upper/" + relative);
        table.add(new MountTable.Entry("/mnt/dir", "umfusezip", "a.zip", "umfuse", upper));
        table.add(new MountTable.Entry("/etc", "umfusezip", "b.zip", "umfuse", relative -> PathMapping.below()));

        assertEquals("/host/upper/file", table.map("/mnt/dir/file").hostPath());
        assertEquals("/host/lower/dir/keep/x", table.map("/mnt/dir/keep/x").hostPath());
        assertEquals("/etc/passwd", table.map("/etc/passwd").hostPath());
        assertFalse(table.map("/etc/passwd").viaMount());
    }
}
