package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.dispatch.MountTableTest.hide;
import static org.kmview.core.internal.dispatch.MountTableTest.move;
import static org.mockito.ArgumentMatchers.startsWith;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kmview.core.internal.nativeaccess.Libc;
import org.kmview.spi.Errno;

/**
 * Resolves view paths over an in-memory host tree with three mounts: /mnt/move shows /host/src,
 * /mnt/other shows /host/other, and /mnt/secret is hidden. Thread 101 of process 100 makes each call.
 */
class PathResolverTest {

    private static final int TGID = 100;
    private static final int TID = 101;
    private static final int AT_FDCWD = PathResolver.AT_FDCWD;

    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();
    private Libc libc;
    private PathResolver resolver;

    @BeforeEach
    void setUp() {
        host.dir("/usr/bin").file("/usr/bin/tool")
                .file("/mnt/plain/x").file("/mnt/secret/file")
                .dir("/host/src/dir").file("/host/src/file")
                .link("/host/src/abs-link", "/mnt/other/target")
                .link("/host/src/rel-link", "file")
                .link("/host/src/up", "../plain")
                .link("/host/src/to-secret", "/mnt/secret/file")
                .link("/host/src/dir-link", "/mnt/move/dir")
                .link("/host/src/loop-a", "loop-b")
                .link("/host/src/loop-b", "loop-a")
                .file("/host/other/target")
                .file("/host/private/resolv.conf")
                .file("/etc/resolv.conf");
        // n0 -> n1 -> ... -> n40, a file: 40 links. start -> n0 makes 41.
        for (int i = 0; i < 40; i++) {
            host.link("/host/src/chain/n" + i, "n" + (i + 1));
        }
        host.file("/host/src/chain/n40").link("/host/src/chain/start", "n0");

        host.file("/proc/100/status").dir("/proc/100/task/101")
                .link("/proc/100/root", "/")
                .link("/proc/100/fd/3", "pipe:[1]")
                .link("/proc/100/fd/5", "/mnt")
                .link("/proc/100/fd/9", "/host/src/file")
                .link("/proc/100/fd/10", "/host/src/gone (deleted)")
                .link("/proc/101/fd/7", "/host/src")
                .link("/proc/101/fd/8", "/usr");
        cwd("/usr");

        mounts.add(entry("/mnt/move", move("/host/src")));
        mounts.add(entry("/mnt/other", move("/host/other")));
        mounts.add(entry("/mnt/secret", hide()));
        libc = host.mockLibc();
        resolver = new PathResolver(libc, mounts);
    }

    /** Sets the host working directory of the process (both /proc/TGID/cwd and /proc/TID/cwd). */
    private void cwd(String hostPath) {
        host.link("/proc/100/cwd", hostPath);
        host.link("/proc/101/cwd", hostPath);
    }

    private PathResolver.Resolution resolve(String path) {
        return resolver.resolve(TID, TGID, AT_FDCWD, path, true);
    }

    private PathResolver.Resolution resolveNoFollow(String path) {
        return resolver.resolve(TID, TGID, AT_FDCWD, path, false);
    }

    @Test
    void untouchedPathNotTranslated() {
        PathResolver.Resolution r = resolve("/usr/bin/tool");

        assertFalse(r.translated());
        assertEquals("/usr/bin/tool", r.hostPath());
        assertEquals("/usr/bin/tool", r.viewPath());
        assertNull(r.error());
    }

    @Test
    void absoluteUnderMove() {
        PathResolver.Resolution r = resolve("/mnt/move/file");

        assertTrue(r.translated());
        assertEquals("/host/src/file", r.hostPath());
        assertEquals("/mnt/move/file", r.viewPath());
        assertNull(r.error());
    }

    @Test
    void mountPointItself() {
        PathResolver.Resolution r = resolve("/mnt/move");

        assertTrue(r.translated());
        assertEquals("/host/src", r.hostPath());
    }

    @Test
    void moveOntoFile() {
        mounts.add(entry("/etc/resolv.conf", move("/host/private/resolv.conf")));

        PathResolver.Resolution r = resolve("/etc/resolv.conf");

        assertTrue(r.translated());
        assertEquals("/host/private/resolv.conf", r.hostPath());
    }

    @Test
    void relativeFromCwdInMove() {
        cwd("/host/src/dir");

        PathResolver.Resolution r = resolve("../file");

        // The kernel's walk from the host cwd reaches the same file, so nothing is rewritten.
        assertFalse(r.translated());
        assertEquals("/mnt/move/file", r.viewPath());
        assertEquals("/host/src/file", r.hostPath());
    }

    @Test
    void relativeOutsideMounts() {
        PathResolver.Resolution r = resolve("bin/tool");

        assertFalse(r.translated());
        assertEquals("/usr/bin/tool", r.viewPath());
    }

    @Test
    void dotDotFromMountPoint() {
        cwd("/host/src");

        PathResolver.Resolution r = resolve("../plain/x");

        assertTrue(r.translated());
        assertEquals("/mnt/plain/x", r.viewPath());
        assertEquals("/mnt/plain/x", r.hostPath());
    }

    @Test
    void absoluteDotDotLeavesMount() {
        PathResolver.Resolution r = resolve("/mnt/move/dir/../../plain");

        assertTrue(r.translated());
        assertEquals("/mnt/plain", r.hostPath());
    }

    @Test
    void dotDotAtRootStays() {
        PathResolver.Resolution r = resolve("/../../mnt/move/file");

        assertEquals("/host/src/file", r.hostPath());
    }

    @Test
    void dirfdRelative() {
        PathResolver.Resolution r = resolver.resolve(TID, TGID, 7, "file", true);

        assertFalse(r.translated());
        assertEquals("/mnt/move/file", r.viewPath());
        assertEquals("/host/src/file", r.hostPath());
    }

    @Test
    void dotDotFromMountPointTranslated() {
        cwd("/host/src");

        PathResolver.Resolution r = resolve("../usr/bin/tool");

        // The kernel would climb to /host; the view climbs to /mnt.
        assertTrue(r.translated());
        assertEquals("/mnt/usr/bin/tool", r.viewPath());
    }

    @Test
    void dirfdOutsideMounts() {
        PathResolver.Resolution r = resolver.resolve(TID, TGID, 8, "bin/tool", true);

        assertFalse(r.translated());
        assertEquals("/usr/bin/tool", r.viewPath());
    }

    @Test
    void badDirfdLeftToKernel() {
        PathResolver.Resolution r = resolver.resolve(TID, TGID, 42, "file", true);

        assertFalse(r.translated());
        assertEquals("file", r.hostPath());
        assertNull(r.error());
    }

    @Test
    void absoluteSymlinkResolvesInView() {
        PathResolver.Resolution r = resolve("/mnt/move/abs-link");

        assertTrue(r.translated());
        assertEquals("/mnt/other/target", r.viewPath());
        assertEquals("/host/other/target", r.hostPath());
    }

    @Test
    void relativeSymlinkInMove() {
        PathResolver.Resolution r = resolve("/mnt/move/rel-link");

        assertEquals("/mnt/move/file", r.viewPath());
        assertEquals("/host/src/file", r.hostPath());
    }

    @Test
    void relativeSymlinkLeavesMount() {
        PathResolver.Resolution r = resolve("/mnt/move/up/x");

        assertEquals("/mnt/plain/x", r.viewPath());
        assertEquals("/mnt/plain/x", r.hostPath());
    }

    @Test
    void lastSymlinkNotFollowed() {
        PathResolver.Resolution r = resolveNoFollow("/mnt/move/abs-link");

        assertEquals("/mnt/move/abs-link", r.viewPath());
        assertEquals("/host/src/abs-link", r.hostPath());
    }

    @Test
    void fortyLinksResolve() {
        PathResolver.Resolution r = resolve("/mnt/move/chain/n0");

        assertNull(r.error());
        assertEquals("/mnt/move/chain/n40", r.viewPath());
    }

    @Test
    void fortyOneLinksLoop() {
        assertEquals(Errno.ELOOP, resolve("/mnt/move/chain/start").error());
    }

    @Test
    void symlinkCycleLoops() {
        assertEquals(Errno.ELOOP, resolve("/mnt/move/loop-a").error());
    }

    @Test
    void hiddenPathMissing() {
        assertEquals(Errno.ENOENT, resolve("/mnt/secret").error());
        assertEquals(Errno.ENOENT, resolve("/mnt/secret/file").error());
        assertEquals(Errno.ENOENT, resolveNoFollow("/mnt/secret").error());
        assertEquals(Errno.ENOENT, resolve("/mnt/secret/..").error());
    }

    @Test
    void hiddenViaDotDot() {
        assertEquals(Errno.ENOENT, resolve("/mnt/move/../secret/file").error());
    }

    @Test
    void hiddenViaRelativeDotDot() {
        cwd("/host/src");

        assertEquals(Errno.ENOENT, resolve("../secret").error());
    }

    @Test
    void hiddenViaSymlink() {
        assertEquals(Errno.ENOENT, resolve("/mnt/move/to-secret").error());
    }

    @Test
    void hiddenViaProcRoot() {
        assertEquals(Errno.ENOENT, resolve("/proc/self/root/mnt/secret/file").error());
    }

    @Test
    void hiddenViaProcCwd() {
        cwd("/mnt");

        assertEquals(Errno.ENOENT, resolve("/proc/self/cwd/secret/file").error());
    }

    @Test
    void hiddenViaProcFd() {
        assertEquals(Errno.ENOENT, resolve("/proc/self/fd/5/secret").error());
    }

    @Test
    void hiddenCwdRelative() {
        // The process entered the directory before it was hidden.
        cwd("/mnt/secret");

        assertEquals(Errno.ENOENT, resolve("file").error());
        assertEquals(Errno.ENOENT, resolve(".").error());
    }

    @Test
    void trailingSlashKept() {
        PathResolver.Resolution r = resolve("/mnt/move/dir/");

        assertEquals("/host/src/dir/", r.hostPath());
    }

    @Test
    void trailingSlashFollowsLast() {
        PathResolver.Resolution r = resolveNoFollow("/mnt/move/dir-link/");

        assertEquals("/mnt/move/dir", r.viewPath());
        assertEquals("/host/src/dir/", r.hostPath());
    }

    @Test
    void procSelfIsTgid() {
        PathResolver.Resolution r = resolve("/proc/self/status");

        assertEquals("/proc/100/status", r.viewPath());
        assertEquals("/proc/100/status", r.hostPath());
    }

    @Test
    void procThreadSelfIsTid() {
        PathResolver.Resolution r = resolve("/proc/thread-self");

        assertEquals("/proc/100/task/101", r.viewPath());
    }

    @Test
    void procSelfNeverReadByKmview() {
        resolve("/proc/self/cwd");
        resolve("/proc/self/fd/5/x");

        verify(libc, never()).readlink(startsWith("/proc/self"));
        verify(libc, never()).lstatMode(startsWith("/proc/self"));
    }

    @Test
    void procCwdInViewTerms() {
        cwd("/host/src/dir");

        PathResolver.Resolution r = resolve("/proc/self/cwd");

        assertFalse(r.translated());
        assertEquals("/mnt/move/dir", r.viewPath());
        assertEquals("/host/src/dir", r.hostPath());
    }

    @Test
    void procCwdNotFollowedIsMagic() {
        PathResolver.Resolution r = resolveNoFollow("/proc/self/cwd");

        assertTrue(r.lastIsMagicLink);
        assertEquals("/proc/100/cwd", r.viewPath());
    }

    @Test
    void procFdToFileInMove() {
        PathResolver.Resolution r = resolve("/proc/self/fd/9");

        assertTrue(r.followedMagicLink);
        assertEquals("/mnt/move/file", r.viewPath());
        assertEquals("/host/src/file", r.hostPath());
    }

    @Test
    void pipeMagicLinkNotFollowed() {
        PathResolver.Resolution r = resolve("/proc/self/fd/3");

        assertNull(r.error());
        assertFalse(r.translated());
        assertEquals("/proc/100/fd/3", r.hostPath());
    }

    @Test
    void pipeMagicLinkAsDirectoryLeftToKernel() {
        // The kernel returns ENOTDIR for a pipe used as a directory.
        PathResolver.Resolution r = resolve("/proc/self/fd/3/x");

        assertNull(r.error());
        assertFalse(r.translated());
        assertEquals("/proc/100/fd/3/x", r.hostPath());
    }

    @Test
    void deletedFileMagicLinkLeftToKernel() {
        // The kernel reopens a deleted file through its fd; "/host/src/gone (deleted)" is no path.
        PathResolver.Resolution r = resolve("/proc/self/fd/10");

        assertNull(r.error());
        assertFalse(r.translated());
    }

    @Test
    void missingComponentLeavesRest() {
        PathResolver.Resolution r = resolve("/mnt/move/missing/a/b");

        assertNull(r.error());
        assertTrue(r.translated());
        assertEquals("/host/src/missing/a/b", r.hostPath());
    }

    @Test
    void missingComponentViewPath() {
        // The view path is null when the kernel resolves the rest; a prefix names another file.
        PathResolver.Resolution r = resolve("/mnt/move/missing/a/b");

        assertTrue(r.viewPath() == null || r.viewPath().equals("/mnt/move/missing/a/b"), "view path " + r.viewPath());
    }

    @Test
    void missingComponentKeepsSlash() {
        PathResolver.Resolution r = resolve("/mnt/move/missing/a/");

        assertEquals("/host/src/missing/a/", r.hostPath());
    }

    @Test
    void missingOutsideMounts() {
        PathResolver.Resolution r = resolve("/usr/missing/a");

        assertFalse(r.translated());
        assertEquals("/usr/missing/a", r.hostPath());
    }

    @Test
    void fileAsDirectoryLeftToKernel() {
        PathResolver.Resolution r = resolve("/mnt/move/file/x");

        assertNull(r.error());
        assertEquals("/host/src/file/x", r.hostPath());
    }

    @Test
    void emptyPathUntouched() {
        PathResolver.Resolution r = resolve("");

        assertFalse(r.translated());
        assertEquals("", r.hostPath());
        assertNull(r.error());
    }
}
