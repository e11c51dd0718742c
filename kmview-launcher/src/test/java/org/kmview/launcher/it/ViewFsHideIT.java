package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.MOUNT_FAILED;
import static org.kmview.launcher.it.ViewFsTesting.assertSameRun;
import static org.kmview.launcher.it.ViewFsTesting.copyProgram;
import static org.kmview.launcher.it.ViewFsTesting.hide;
import static org.kmview.launcher.it.ViewFsTesting.inView;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.move;
import static org.kmview.launcher.it.ViewFsTesting.outside;
import static org.kmview.launcher.it.ViewFsTesting.probe;
import static org.kmview.launcher.it.ViewFsTesting.quote;
import static org.kmview.launcher.it.ViewFsTesting.snapshot;
import static org.kmview.launcher.it.ViewFsTesting.symlink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t viewfs -o hide none DST} in a view: DST and everything below it are gone.
 * Most tests run one script twice: in the view on a tree whose {@code hid} directory and
 * {@code hidfile} are hidden, and natively on a twin tree that lacks both. Both runs must give the
 * same output once the twin's name is spelled as the view tree's.
 */
@Timeout(60)
class ViewFsHideIT {

    @TempDir
    Path tmp;

    /** The tree in the view. Its hid directory and hidfile are hidden. */
    Path par;
    /** The native twin of {@link #par} without hid and hidfile, with a name of the same length. */
    Path twin;
    /** The hidden directory, par/hid. */
    Path hid;

    @BeforeEach
    void createTrees() {
        par = tmp.resolve("view-par");
        twin = tmp.resolve("twin-par");
        hid = par.resolve("hid");
        populate(par);
        populate(twin);
        Run.write(hid.resolve("x"), "secret\n");
        Run.write(hid.resolve("sub/y"), "deeper secret\n");
        copyProgram("/bin/true", hid.resolve("tr"));
        Run.write(par.resolve("hidfile"), "hidden file\n");
    }

    /** Creates the visible part of the tree, with symlinks into hid spelled under {@code root}. */
    private static void populate(Path root) {
        Run.write(root.resolve("vis/v"), "visible\n");
        Run.write(root.resolve("z"), "z\n");
        symlink(root.resolve("vis/l"), root.resolve("hid/x").toString());
        symlink(root.resolve("vis/rl"), "../hid/x");
        symlink(root.resolve("vis/dl"), root.resolve("hid").toString());
        symlink(root.resolve("vis/fl"), root.resolve("hidfile").toString());
    }

    private List<String> hideMounts() {
        return List.of(hide(hid), hide(par.resolve("hidfile")));
    }

    /** Runs {@code script} natively on the twin and in the view on the tree, and compares the runs. */
    private void assertViewMatchesNative(Function<Path, String> script) {
        Run.Result nativeRun = outside(tmp, script.apply(twin));
        Run.Result viewRun = inView(tmp, hideMounts(), script.apply(par));
        assertSameRun(nativeRun, twin.getFileName().toString(), par.getFileName().toString(), viewRun);
    }

    private List<String> hostTree() {
        return snapshot(par, "", "");
    }

    @Test
    void hiddenTargetIsGoneFromListings() {
        Function<Path, String> script = p -> String.join("\n",
                "ls " + quote(p),
                "ls -a " + quote(p),
                "ls -la " + quote(p) + " | grep -c -e ' hid$' -e ' hidfile$'",
                "find " + quote(p) + " | sort",
                "echo " + quote(p) + "/*",
                "python3 -c 'import os,sys; print(sorted(os.listdir(sys.argv[1])))' " + quote(p),
                "python3 -c 'import os,sys; print(sorted(e.name for e in os.scandir(sys.argv[1])))' " + quote(p),
                probe("ls", p),
                "");

        assertViewMatchesNative(script);
    }

    @Test
    void hiddenPathSpellingsMatchAbsentPath() {
        Function<Path, String> script = p -> {
            String q = quote(p);
            return String.join("\n",
                    "cd " + q,
                    "cat hid/x ./hid//x " + q + "/hid/x vis/../hid/x hid/../vis/v hid/sub/y hidfile",
                    "cat vis/l vis/rl vis/dl/x vis/fl",
                    "ls vis/dl/ hid hid/",
                    "cat /proc/self/root" + p + "/hid/x /proc/self/cwd/hid/x",
                    // The shell's pid differs between the runs, so only the outcome is printed.
                    "cat /proc/$$/cwd/hidfile 2>/dev/null || echo /proc/PID/cwd/hidfile is missing",
                    "exec 7<" + q,
                    "cat /proc/self/fd/7/hid/x",
                    "cat /proc/$$/fd/7/hidfile 2>/dev/null || echo /proc/PID/fd/7/hidfile is missing",
                    "ls /proc/self/fd/7/hid",
                    "exec 7<&-",
                    "test -e hid || echo hid is missing",
                    "test -L vis/l && echo the link itself is there",
                    "stat hid; realpath -e hid/x; readlink -e vis/l",
                    "cd hid; cd " + q + "/hid/sub; pwd",
                    "./hid/tr; echo \"exit $?\"",
                    "python3 -c 'import os; print(os.path.exists(\"hid\"), os.path.lexists(\"vis/l\"), "
                            + "os.path.exists(\"vis/l\"))'",
                    "");
        };

        assertViewMatchesNative(script);
    }

    @Test
    void hiddenPathProbesMatchAbsentPath() {
        Function<Path, String> script = p -> String.join("\n",
                probe("statx", p.resolve("hid")),
                probe("statx", p.resolve("hid/x")),
                probe("statx", p + "/hid/"),
                probe("statx", p.resolve("hidfile")),
                probe("statx", p.resolve("vis/l")),
                probe("statx", p.resolve("vis/l"), "nofollow"),
                probe("faccessat2", p.resolve("hid"), "f"),
                probe("faccessat2", p.resolve("hid/x"), "r"),
                probe("faccessat2", p.resolve("vis/dl"), "x"),
                probe("fchmodat2", p.resolve("hid/x"), "600"),
                probe("fchmodat2", p.resolve("hidfile"), "600"),
                probe("renameat2", p.resolve("hid/x"), p.resolve("vis/x2")),
                probe("renameat2", p.resolve("hidfile"), p.resolve("vis/f2")),
                probe("renameat2", p.resolve("vis/v"), p.resolve("hid/v")),
                probe("renameat2", p.resolve("vis/v"), p.resolve("hid/x"), "exchange"),
                probe("execveat", "-", p.resolve("hid/tr")),
                probe("execveat", p, "hid/tr"),
                probe("execveat", p.resolve("vis"), "../hid/tr"),
                probe("fdpath", p.resolve("hid/x")),
                probe("readlink", p.resolve("hid")),
                probe("chdir_getcwd", p.resolve("hid/sub")),
                probe("cat", p.resolve("vis/dl/sub/y")),
                probe("ls", p.resolve("hid")),
                "");

        assertViewMatchesNative(script);
    }

    @Test
    void hiddenPathUnreachableThroughOpenat2() {
        Function<Path, String> script = p -> String.join("\n",
                probe("openat2", p, "hid/x", "none"),
                probe("openat2", p, "hid/x", "beneath"),
                probe("openat2", p, "hid/x", "in_root"),
                probe("openat2", p, "/hid/x", "in_root"),
                probe("openat2", p, "hidfile", "no_symlinks"),
                probe("openat2", p.resolve("vis"), "../hid/x", "none"),
                probe("openat2", p.resolve("vis"), "l", "none"),
                probe("openat2", p.resolve("vis"), "rl", "none"),
                probe("openat2", p.resolve("vis"), "dl/sub/y", "none"),
                probe("openat2", p.resolve("hid"), "x", "none"),
                probe("openat2", "-", "/proc/self/root" + p + "/hid/x", "none"),
                "cd " + quote(p) + " && " + probe("openat2", "-", "/proc/self/cwd/hid/x", "none"),
                "");

        assertViewMatchesNative(script);
    }

    @Test
    void hiddenPathUnreachableThroughDirfd() {
        Function<Path, String> script = p -> "python3 - " + quote(p) + " <<'EOF'\n"
                + "import os, sys\n"
                + "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
                + "vis = os.open('vis', os.O_RDONLY, dir_fd=fd)\n"
                + "print(sorted(os.listdir(fd)))\n"
                + "attempts = [\n"
                + "    lambda: os.open('hid/x', os.O_RDONLY, dir_fd=fd),\n"
                + "    lambda: os.open('hid', os.O_RDONLY, dir_fd=fd),\n"
                + "    lambda: os.open('hidfile', os.O_RDONLY, dir_fd=fd),\n"
                + "    lambda: os.open('../hid/sub/y', os.O_RDONLY, dir_fd=vis),\n"
                + "    lambda: os.open('dl/x', os.O_RDONLY, dir_fd=vis),\n"
                + "    lambda: os.stat('hid', dir_fd=fd),\n"
                + "    lambda: os.stat('hid', dir_fd=fd, follow_symlinks=False),\n"
                + "    lambda: os.listdir(os.path.join('/proc/self/fd/%d' % fd, 'hid')),\n"
                + "    lambda: os.open('/proc/self/fd/%d/hid/x' % fd, os.O_RDONLY),\n"
                + "    lambda: os.readlink('hid', dir_fd=fd),\n"
                + "    lambda: os.access('hid/x', os.F_OK, dir_fd=fd) or os.strerror(2),\n"
                + "    lambda: os.unlink('hid/x', dir_fd=fd),\n"
                + "    lambda: os.rename('hid', 'stolen', src_dir_fd=fd, dst_dir_fd=fd),\n"
                + "    lambda: os.link('hid/x', 'vis/hard', src_dir_fd=fd, dst_dir_fd=fd),\n"
                + "]\n"
                + "for attempt in attempts:\n"
                + "    try:\n"
                + "        print('reached', attempt())\n"
                + "    except OSError as e:\n"
                + "        print(e.strerror)\n"
                + "EOF\n";
        List<String> before = hostTree();

        assertViewMatchesNative(script);

        assertEquals(before, hostTree(), "the hidden tree on the host must stay as it was");
    }

    @Test
    void writesIntoHiddenTargetFail() {
        Function<Path, String> script = p -> {
            String q = quote(p);
            return String.join("\n",
                    "cd " + q,
                    "echo new > hid/new",
                    "mkdir hid/sub2",
                    "touch hid/x",
                    "ln -s x hid/l",
                    "cp vis/v hid/x",
                    "mkfifo hid/fifo",
                    "mv vis/v hid/sub/",
                    "python3 -c 'open(\"hid/py\", \"w\")' 2>&1 | tail -1",
                    "timeout 20 " + probe("unix_server", p.resolve("hid/sock")),
                    "ls vis",
                    "");
        };
        List<String> before = hostTree();

        assertViewMatchesNative(script);

        assertEquals(before, hostTree(), "writes into the hidden tree must not reach the host");
    }

    @Test
    void removingHiddenTargetKeepsHostTree() {
        List<String> before = hostTree();
        String q = quote(par);

        Run.Result run = inView(tmp, hideMounts(), String.join("\n",
                "rm -rf " + q + "/hid " + q + "/hidfile",
                "rmdir " + q + "/hid",
                "mv " + q + "/hid " + q + "/vis/moved",
                "find " + q + " -delete",
                ""));

        assertEquals(before.stream().filter(line -> line.startsWith("hid")).toList(),
                hostTree().stream().filter(line -> line.startsWith("hid")).toList(),
                () -> "the hidden entries on the host must survive:\n" + run);
    }

    @Test
    void cwdInsideHiddenTargetReachesNothing() {
        Path sub = hid.resolve("sub");
        Run.Result run = inView(tmp, List.of(), "cd " + quote(sub) + " && " + hide(hid) + " || exit " + MOUNT_FAILED + "\n"
                + "cat y; cat ./y; cat /proc/self/cwd/y; ls .; " + probe("openat2", "-", "y", "none") + "\n"
                + probe("statx", ".") + "\n");

        assertEquals("errno ENOENT\nerrno ENOENT\n", run.stdout(), run::toString);
        assertEquals(4, run.stderr().lines().filter(line -> line.contains("No such file or directory")).count(),
                run::toString);
    }

    @Test
    void cwdInsideHiddenTargetHasNoPath() {
        // The kernel's getcwd(2) fails with ENOENT when the cwd was removed, and a hidden cwd is gone
        // from the view, so its path must not be returned.
        Path sub = hid.resolve("sub");
        Run.Result run = inView(tmp, List.of(), "cd " + quote(sub) + " && " + hide(hid) + " || exit " + MOUNT_FAILED + "\n"
                + probe("getcwd") + "\n");

        assertEquals("errno ENOENT\n", run.stdout(), run::toString);
    }

    @Test
    void hiddenUnixSocketUnreachable() throws Exception {
        Path socket = hid.resolve("sock");
        Process server = Run.outside(Run.fixture("pathprobe"), "unix_server", socket.toString()).start();
        try {
            waitForSocket(socket);

            Run.Result run = inView(tmp, hideMounts(), probe("unix_client", socket, "should not arrive"));

            assertEquals("connect errno ENOENT\n", run.stdout(), run::toString);
            assertTrue(server.isAlive(), "the server outside the view must not have received a client");
        } finally {
            server.destroyForcibly();
            server.waitFor();
        }
    }

    private static void waitForSocket(Path socket) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server did not bind " + socket + " within 10 s");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void hiddenSourceCannotBeMoved() {
        Path target = tmp.resolve("elsewhere");
        mkdirs(target);

        Run.Result run = inView(tmp, List.of(hide(hid)), move(hid.resolve("sub"), target)
                + "; echo \"exit $?\"; ls " + quote(target));

        assertEquals("exit 1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("failed: No such file or directory"), run::toString);
    }

    @Test
    void hideInsideMoveTarget() {
        Path source = tmp.resolve("src");
        Path target = tmp.resolve("dst");
        Run.write(source.resolve("keep"), "kept\n");
        Run.write(source.resolve("sub/f"), "f\n");
        mkdirs(target);

        Run.Result run = inView(tmp, List.of(move(source, target), hide(target.resolve("sub"))), String.join("\n",
                "ls " + quote(target),
                "cat " + quote(target.resolve("sub/f")),
                ""));

        assertEquals("keep\n", run.stdout(), run::toString);
        assertEquals("cat: " + target.resolve("sub/f") + ": No such file or directory\n", run.stderr(), run::toString);
    }

    @Test
    void viewumountRevealsHiddenTarget() {
        String q = quote(par);
        Run.Result run = inView(tmp, hideMounts(), String.join("\n",
                "ls " + q,
                "viewumount " + quote(hid) + " && ls " + q + " && cat " + q + "/hid/x " + q + "/vis/l",
                ""));

        assertEquals("vis\nz\nhid\nvis\nz\nsecret\nsecret\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void hideInLargeDirectory() throws IOException {
        // Thousands of long names need several getdents64 calls, each filling a large buffer.
        Path big = tmp.resolve("big");
        mkdirs(big);
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 3000; i++) {
            String name = String.format("entry-with-a-name-long-enough-to-fill-buffers-%04d", i);
            Files.createFile(big.resolve(name));
            if (i != 1 && i != 1500 && i != 3000) {
                expected.add(name);
            }
        }
        List<String> mounts = List.of(
                hide(big.resolve("entry-with-a-name-long-enough-to-fill-buffers-0001")),
                hide(big.resolve("entry-with-a-name-long-enough-to-fill-buffers-1500")),
                hide(big.resolve("entry-with-a-name-long-enough-to-fill-buffers-3000")));

        Run.Result run = inView(tmp, mounts, "ls " + quote(big) + " && " + probe("ls", big));

        String listing = String.join("\n", expected) + "\n";
        assertEquals(listing + listing, run.stdout(), () -> "stderr:\n" + run.stderr());
        assertEquals(0, run.exitCode(), () -> "stderr:\n" + run.stderr());
    }

    @Test
    void ioUringRefusedWhileViewFsLoaded() {
        Run.Result withMount = inView(tmp, hideMounts(), probe("io_uring"));
        Run.Result withoutMount = inView(tmp, List.of(), probe("io_uring"));

        assertEquals("errno ENOSYS\n", withMount.stdout(), withMount::toString);
        assertEquals("errno ENOSYS\n", withoutMount.stdout(), withoutMount::toString);
    }

    @Test
    void ioUringWithoutServiceMatchesNative() {
        Run.Result nativeRun = Run.outside(Run.fixture("pathprobe"), "io_uring").result();
        Run.Result viewRun = Run.inside(Run.fixture("pathprobe"), "io_uring").result();

        assertSameRun(nativeRun, "", "", viewRun);
    }

    @Test
    void hiddenTargetStaysOnHost() {
        Run.Result run = inView(tmp, hideMounts(), "cat " + quote(hid.resolve("x")));

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(Files.exists(hid.resolve("x")), "hiding must not remove the file on the host");
        assertFalse(run.stdout().contains("secret"), run::toString);
    }

    @Test
    void hideUnderTargetKeepsSourceCwd() {
        // The source stays reachable by its own path, so a cwd there has that path.
        Path source = tmp.resolve("real-src");
        Path target = tmp.resolve("bound");
        mkdirs(source.resolve("sub"));
        Run.Result run = inView(tmp, List.of(move(source, target), hide(target.resolve("sub"))),
                "cd " + quote(source.resolve("sub")) + " && " + probe("getcwd") + "\n");

        assertEquals(source.resolve("sub") + "\n", run.stdout(), run::toString);
    }
}
