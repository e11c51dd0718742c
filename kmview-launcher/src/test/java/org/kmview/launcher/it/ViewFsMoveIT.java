package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.assertSameRun;
import static org.kmview.launcher.it.ViewFsTesting.copyProgram;
import static org.kmview.launcher.it.ViewFsTesting.inView;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.move;
import static org.kmview.launcher.it.ViewFsTesting.moveByDefault;
import static org.kmview.launcher.it.ViewFsTesting.outside;
import static org.kmview.launcher.it.ViewFsTesting.probe;
import static org.kmview.launcher.it.ViewFsTesting.quote;
import static org.kmview.launcher.it.ViewFsTesting.snapshot;
import static org.kmview.launcher.it.ViewFsTesting.symlink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t viewfs -o move SRC DST} in a view: DST shows SRC. Most tests run one
 * script twice: in the view on DST, and natively on a twin of SRC. The twin's absolute symlinks
 * point into the twin where SRC's point into DST. Both runs must give the same output once the
 * twin's name is spelled as DST's.
 */
@Timeout(60)
class ViewFsMoveIT {

    @TempDir
    Path tmp;

    /** The mount source. Its absolute symlinks are spelled with {@link #dst}. */
    Path src;
    /** The mount point, which contains a file of its own that the mount covers. */
    Path dst;
    /**
     * The native twin of {@link #src}. Its name is as long as DST's, so symlink sizes match, and
     * occurs in no other output, so the comparison can replace it with DST's name.
     */
    Path nat;

    @BeforeEach
    void createTrees() throws IOException {
        src = tmp.resolve("real-src");
        dst = tmp.resolve("view-dst");
        nat = tmp.resolve("twin-dst");
        populate(src, dst);
        populate(nat, nat);
        Run.write(dst.resolve("orig"), "covered by the mount\n");
    }

    /** Fills {@code root} with files and symlinks whose absolute targets are spelled under {@code spelled}. */
    private static void populate(Path root, Path spelled) {
        Run.write(root.resolve("t"), "one\n");
        Run.write(root.resolve("u"), "two\n");
        Run.write(root.resolve("gone"), "removed by the test\n");
        Run.write(root.resolve("sub/f"), "f\n");
        mkdirs(root.resolve("empty"));
        symlink(root.resolve("rel"), "t");
        symlink(root.resolve("abs"), spelled.resolve("t").toString());
        symlink(root.resolve("subabs"), spelled.resolve("sub").toString());
        copyProgram("/bin/readlink", root.resolve("rl"));
    }

    /** Runs {@code script} natively on the twin and in the view on DST, and compares the runs. */
    private void assertViewMatchesNative(Function<Path, String> script) {
        Run.Result nativeRun = outside(tmp, script.apply(nat));
        Run.Result viewRun = inView(tmp, move(src, dst), script.apply(dst));
        assertSameRun(nativeRun, twinName(), viewName(), viewRun);
    }

    private String twinName() {
        return nat.getFileName().toString();
    }

    private String viewName() {
        return dst.getFileName().toString();
    }

    private void assertTreesMatch() {
        assertEquals(snapshot(nat, twinName(), viewName()), snapshot(src, twinName(), viewName()),
                "SRC on the host after the view run differs from the twin after the native run");
    }

    @Test
    void execFilenameIsPathAsGiven() throws IOException {
        // One mount point longer than its source's host path, one shorter: the kernel's copy of the
        // name is replaced in place or placed below it.
        Path shortSource = tmp.resolve("s");
        Path longTarget = tmp.resolve("mount-point-with-a-name-longer-than-its-source");
        Path longSource = tmp.resolve("source-directory-with-a-long-name");
        Path shortTarget = tmp.resolve("t");
        for (Path source : List.of(shortSource, longSource)) {
            Files.createDirectories(source);
            Files.copy(Path.of(Run.fixture("execfn_probe")), source.resolve("probe"));
        }
        String script = "viewmount -t viewfs " + shortSource + " " + longTarget
                + " && viewmount -t viewfs " + longSource + " " + shortTarget
                + " && " + longTarget + "/probe && " + shortTarget + "/probe && cd " + longTarget + " && ./probe"
                + " && cd " + shortTarget + " && ./probe a b";

        Run.Result run = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).result();

        assertEquals(longTarget + "/probe\n" + shortTarget + "/probe\n./probe\n./probe\n", run.stdout(),
                run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void moveShowsSourceAtTarget() {
        Run.Result run = inView(tmp, move(src, dst),
                "ls " + quote(dst) + "; cat " + quote(dst.resolve("t")) + " " + quote(dst.resolve("sub/f"))
                        + "; cat " + quote(dst.resolve("orig")));

        assertEquals("abs\nempty\ngone\nrel\nrl\nsub\nsubabs\nt\nu\none\nf\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("No such file or directory"),
                () -> "DST's own file orig must be covered by the mount:\n" + run);
    }

    @Test
    void umountOfPlainDirectoryExplained() {
        Run.Result run = inView(tmp, move(src, dst), "viewumount " + quote(src) + "; echo $?");

        assertEquals("1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("umount " + src + " failed: Invalid argument"), run::toString);
        assertTrue(run.stderr().contains(src + " is not a mount point of this view"), run::toString);
    }

    @Test
    void moveIsDefaultMode() {
        Run.Result run = inView(tmp, moveByDefault(src, dst),
                "cat " + quote(dst.resolve("t")) + " && ls " + quote(dst.resolve("sub")));

        assertEquals("one\nf\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void writesThroughTargetReachSource() throws IOException {
        Function<Path, String> script = d -> "cd " + quote(d) + "\n"
                + "echo appended >> t\n"
                + "echo new > made\n"
                + "mkdir -p newdir/deeper && echo y > newdir/deeper/y\n"
                + "mv u newdir/u2\n"
                + "rm gone\n"
                + "rmdir empty\n"
                + "ln -s t newlink && cat newlink\n"
                + "cp sub/f sub/f2\n"
                + "touch sub/f2 && chmod 600 sub/f2\n"
                + "printf 'over\\n' > sub/f\n"
                + "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(bytes(range(256)) * 4096)' "
                + quote(d.resolve("big")) + "\n"
                + "wc -c < big\n";

        assertViewMatchesNative(script);

        assertTreesMatch();
        byte[] expected = Files.readAllBytes(nat.resolve("big"));
        assertEquals(256 * 4096, expected.length, "the native run must write 1 MiB");
        assertArrayEquals(expected, Files.readAllBytes(src.resolve("big")), "SRC/big written through DST differs");
        try (var entries = Files.list(dst)) {
            assertEquals(List.of(dst.resolve("orig")), entries.toList(), "the host's DST must be left alone");
        }
    }

    @Test
    void pathSpellingsMatchNative() {
        Function<Path, String> script = d -> {
            String name = d.getFileName().toString();
            return "cd " + quote(tmp) + "\n"
                    + "cat " + name + "/t ./" + name + "//t " + name + "/sub/../t " + name + "/sub/f\n"
                    + "cat " + quote(d) + "/rel " + quote(d) + "/abs " + quote(d) + "/subabs/f\n"
                    + "ls " + name + " " + name + "/ " + name + "/sub/ " + name + "/subabs/\n"
                    + "ls -d " + name + "/./sub/..\n"
                    + "find " + name + " | sort\n"
                    + "stat -c '%n %F %s %a' " + name + "/t " + name + "/sub " + name + "/abs " + name + "/rel\n"
                    + "test -d " + name + "/ && echo is a directory\n"
                    + "test -e " + name + "/nx || echo nx is missing\n"
                    + "cat " + name + "/t/ ; cat " + name + "/nx\n"
                    + "realpath " + name + "/subabs/f " + name + "/rel\n"
                    + "python3 -c 'import os,sys; print(sorted(os.listdir(sys.argv[1])), os.path.isdir(sys.argv[1]))' "
                    + quote(d) + "\n"
                    + "cd " + name + "/sub && cat ../t f && ls .. && pwd\n";
        };

        assertViewMatchesNative(script);
    }

    @Test
    void cwdInsideTargetShowsViewPath() {
        Path sub = dst.resolve("sub");
        Run.Result run = inView(tmp, move(src, dst), "cd " + quote(sub) + "\n"
                + "pwd\n"
                + "/bin/pwd -P\n"
                + "readlink /proc/self/cwd\n"
                + probe("getcwd") + "\n"
                + "python3 -c 'import os; print(os.getcwd())'\n"
                + "readlink /proc/$$/cwd\n"
                + probe("chdir_getcwd", dst) + "\n"
                + "cd " + quote(dst) + "/subabs && /bin/pwd -P\n");

        String expected = (sub + "\n").repeat(6) + dst + "\n" + sub + "\n";
        assertEquals(expected, run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void dotDotAtTargetRoot() {
        Path source = tmp.resolve("a/src");
        Path target = tmp.resolve("b/dst");
        Run.write(tmp.resolve("a/marker"), "parent of SRC\n");
        Run.write(tmp.resolve("b/marker"), "parent of DST\n");
        Run.write(source.resolve("sub/f"), "f\n");
        symlink(source.resolve("up"), "../marker");
        mkdirs(target);
        String t = quote(target);

        Run.Result run = inView(tmp, move(source, target), ""
                + "cat " + t + "/../marker " + t + "/sub/../../marker " + t + "/up\n"
                + probe("openat2", target, "../marker", "none") + "\n"
                + probe("openat2", target.resolve("sub"), "../../marker", "none") + "\n"
                + "ls " + t + "/..\n"
                + probe("chdir_getcwd", target + "/..") + "\n"
                + "cd " + t + "/sub && cd -P ../.. && /bin/pwd -P && cat marker\n"
                + "python3 -c 'import os,sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
                + "print(sorted(os.listdir(os.open(\"..\", os.O_RDONLY, dir_fd=fd))))' " + t + "\n");

        Path b = tmp.resolve("b");
        String expected = "parent of DST\n".repeat(3)
                + "ok\nparent of DST\n".repeat(2)
                + "dst\nmarker\n"
                + b + "\n" + b + "\nparent of DST\n"
                + "['dst', 'marker']\n";
        assertEquals(expected, run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void dirfdRelativeCallsMatchNative() {
        Function<Path, String> script = d -> "python3 - " + quote(d) + " <<'EOF'\n"
                + "import os, sys\n"
                + "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
                + "print(sorted(os.listdir(fd)))\n"
                + "print(os.stat('t', dir_fd=fd).st_size, os.stat('abs', dir_fd=fd, follow_symlinks=False).st_size)\n"
                + "print(os.read(os.open('sub/f', os.O_RDONLY, dir_fd=fd), 100))\n"
                + "print(os.read(os.open('subabs/f', os.O_RDONLY, dir_fd=fd), 100))\n"
                + "os.mkdir('made', dir_fd=fd)\n"
                + "os.rename('made', 'made2', src_dir_fd=fd, dst_dir_fd=fd)\n"
                + "os.symlink('t', 'sl', dir_fd=fd)\n"
                + "print(os.readlink('sl', dir_fd=fd), os.readlink('abs', dir_fd=fd))\n"
                + "os.unlink('gone', dir_fd=fd)\n"
                + "print(os.access('t', os.R_OK, dir_fd=fd), os.access('nx', os.F_OK, dir_fd=fd))\n"
                + "os.chmod('u', 0o640, dir_fd=fd)\n"
                + "print(oct(os.stat('u', dir_fd=fd).st_mode & 0o777))\n"
                + "sub = os.open('sub', os.O_RDONLY, dir_fd=fd)\n"
                + "print(os.readlink('/proc/self/fd/%d' % sub), os.readlink('/proc/self/fd/%d' % fd))\n"
                + "print(os.read(os.open('../t', os.O_RDONLY, dir_fd=sub), 100))\n"
                + "os.link('t', 'hard', src_dir_fd=fd, dst_dir_fd=sub)\n"
                + "print(os.stat('hard', dir_fd=sub).st_nlink)\n"
                + "try:\n"
                + "    os.open('nx/y', os.O_RDONLY, dir_fd=fd)\n"
                + "except OSError as e:\n"
                + "    print(e.strerror)\n"
                + "EOF\n";

        assertViewMatchesNative(script);
        assertTreesMatch();
    }

    @Test
    void statxMatchesNative() {
        Function<Path, String> script = d -> {
            String name = d.getFileName().toString();
            return String.join("\n",
                    probe("statx", d.resolve("t")),
                    probe("statx", d.resolve("abs")),
                    probe("statx", d.resolve("abs"), "nofollow"),
                    probe("statx", d.resolve("rel"), "nofollow"),
                    probe("statx", d.resolve("subabs")),
                    probe("statx", d),
                    probe("statx", d + "/"),
                    probe("statx", d + "/nx"),
                    probe("statx", d + "/t/"),
                    probe("statx", d + "/sub/../t"),
                    probe("statx", d + "/sub/f"),
                    "cd " + quote(tmp) + " && " + probe("statx", name + "/t"),
                    "cd " + quote(d) + " && " + probe("statx", "t") + " && " + probe("statx", "../" + name + "/sub"),
                    "");
        };

        assertViewMatchesNative(script);
    }

    /** Runs {@code pathprobe openat2 DIR PATH FLAGS} for each row, DIR being relative to DST or its twin. */
    private void assertOpenat2MatchesNative(String flags, String... dirAndPathRows) {
        Function<Path, String> script = d -> {
            StringBuilder lines = new StringBuilder("cd " + quote(d) + "\n");
            for (String row : dirAndPathRows) {
                String[] dirAndPath = row.split(" ", 2);
                String dir = dirAndPath[0].equals("-") ? "-" : d.resolve(dirAndPath[0]).normalize().toString();
                String path = dirAndPath[1].replace("NAME", d.getFileName().toString());
                lines.append(probe("openat2", dir, path, flags)).append('\n');
            }
            return lines.toString();
        };
        assertViewMatchesNative(script);
    }

    @Test
    void openat2WithoutFlagsMatchesNative() {
        assertOpenat2MatchesNative("none", ". t", ". subabs/f", ". rel", "sub ../t", ".. NAME/t", "- t",
                "- /proc/self/cwd/t", ". nx");
    }

    @Test
    void openat2BeneathMatchesNative() {
        assertOpenat2MatchesNative("beneath", ". t", ". sub/../t", ". rel", ". ../NAME/t", ". abs", ".. NAME/t",
                "- t", "sub ../t");
    }

    @Test
    void openat2InRootMatchesNative() {
        assertOpenat2MatchesNative("in_root", ". /t", ". ../../t", ". abs", ". rel", ". subabs/f", "sub ../t");
    }

    @Test
    void openat2NoSymlinksMatchesNative() {
        assertOpenat2MatchesNative("no_symlinks", ". t", ". rel", ". abs", ". subabs/f");
    }

    @Test
    void openat2NoMagiclinksMatchesNative() {
        assertOpenat2MatchesNative("no_magiclinks", ". t", "- /proc/self/cwd/t", ". abs");
    }

    @Test
    void openat2NoXdevInsideTargetMatchesNative() {
        assertOpenat2MatchesNative("no_xdev", ". t", ". sub/f", "sub ../t", ". rel");
    }

    @Test
    void openat2NoXdevStopsAtMountPoint() {
        // A kernel bind mount at DST makes RESOLVE_NO_XDEV fail with EXDEV when the path crosses it.
        Run.Result run = inView(tmp, move(src, dst), probe("openat2", tmp, viewName() + "/t", "no_xdev"));

        assertEquals("errno EXDEV\n", run.stdout(), run::toString);
    }

    @Test
    void faccessat2MatchesNative() {
        Function<Path, String> script = d -> String.join("\n",
                probe("faccessat2", d.resolve("t"), "rw"),
                probe("faccessat2", d.resolve("t"), "x"),
                probe("faccessat2", d.resolve("rl"), "rx", "eaccess"),
                probe("faccessat2", d.resolve("abs"), "f", "nofollow"),
                probe("faccessat2", d.resolve("abs"), "r"),
                probe("faccessat2", d.resolve("nx"), "f"),
                probe("faccessat2", d, "rwx"),
                probe("faccessat2", d + "/t/", "f"),
                "cd " + quote(d) + " && " + probe("faccessat2", "sub/f", "r"),
                "");

        assertViewMatchesNative(script);
    }

    @Test
    void renameat2MatchesNative() {
        Function<Path, String> script = d -> String.join("\n",
                probe("renameat2", d.resolve("t"), d.resolve("u"), "noreplace"),
                probe("renameat2", d.resolve("t"), d.resolve("u"), "exchange"),
                "cat " + quote(d.resolve("t")) + " " + quote(d.resolve("u")),
                probe("renameat2", d.resolve("t"), d.resolve("sub/t2")),
                probe("renameat2", d.resolve("nx"), d.resolve("y")),
                probe("renameat2", d.resolve("sub"), d.resolve("sub/inner")),
                probe("renameat2", d.resolve("empty"), d.resolve("moved"), "noreplace"),
                "cd " + quote(d) + " && " + probe("renameat2", "gone", "sub/gone"),
                "ls " + quote(d) + " " + quote(d.resolve("sub")),
                "");

        assertViewMatchesNative(script);
        assertTreesMatch();
    }

    @Test
    void fchmodat2MatchesNative() {
        Function<Path, String> script = d -> String.join("\n",
                probe("fchmodat2", d.resolve("u"), "600"),
                probe("fchmodat2", d.resolve("abs"), "640"),
                probe("fchmodat2", d.resolve("abs"), "600", "nofollow"),
                probe("fchmodat2", d.resolve("nx"), "600"),
                probe("fchmodat2", d.resolve("sub"), "750"),
                "stat -c '%n %a' " + quote(d.resolve("u")) + " " + quote(d.resolve("t")) + " " + quote(d.resolve("sub")),
                "");

        assertViewMatchesNative(script);
        assertTreesMatch();
    }

    @Test
    void execveatMatchesNative() {
        Function<Path, String> script = d -> String.join("\n",
                probe("execveat", d, "rl", "/proc/self/exe"),
                probe("execveat", "-", d.resolve("rl"), "/proc/self/exe"),
                probe("execveat", d.resolve("sub"), "../rl", "/proc/self/exe"),
                probe("execveat", d, "nx"),
                probe("execveat", d, "t"),
                "cd " + quote(d) + " && " + probe("execveat", "-", "rl", "/proc/self/exe"),
                "");

        assertViewMatchesNative(script);
    }

    @Test
    void absoluteSymlinksResolveInView() {
        Path outsideLink = tmp.resolve("links/to-dst");
        symlink(outsideLink, dst.resolve("sub/f").toString());

        Run.Result run = inView(tmp, move(src, dst), ""
                + "cat " + quote(dst.resolve("abs")) + " " + quote(dst.resolve("subabs/f")) + " " + quote(outsideLink) + "\n"
                + "readlink " + quote(dst.resolve("abs")) + "\n"
                + "readlink -f " + quote(dst.resolve("subabs")) + "\n"
                + "cd " + quote(dst.resolve("subabs")) + " && pwd && /bin/pwd -P\n");

        assertEquals("one\nf\nf\n" + dst.resolve("t") + "\n" + dst.resolve("sub") + "\n"
                + dst.resolve("subabs") + "\n" + dst.resolve("sub") + "\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void symlinkLimitMatchesNative() {
        // Linux follows at most 40 symlinks in one path walk (MAXSYMLINKS), then fails with ELOOP.
        symlinkChain(src, dst, "a", 40);
        symlinkChain(src, dst, "b", 41);
        symlinkChain(nat, nat, "a", 40);
        symlinkChain(nat, nat, "b", 41);
        Function<Path, String> script = d -> String.join("\n",
                "cat " + quote(d.resolve("a1")),
                "cat " + quote(d.resolve("b1")),
                probe("statx", d.resolve("a1")),
                probe("statx", d.resolve("b1")),
                probe("openat2", d, "a1", "none"),
                probe("openat2", d, "b1", "none"),
                probe("faccessat2", d.resolve("b1"), "f"),
                "");

        assertViewMatchesNative(script);
    }

    /** Creates PREFIX1 to PREFIXcount in {@code root}, each an absolute link spelled under {@code spelled} to the next, the last to t. */
    private static void symlinkChain(Path root, Path spelled, String prefix, int count) {
        symlink(root.resolve(prefix + count), spelled.resolve("t").toString());
        for (int i = count - 1; i >= 1; i--) {
            symlink(root.resolve(prefix + i), spelled.resolve(prefix + (i + 1)).toString());
        }
    }

    @Test
    void execveUnderTargetShowsViewExe() {
        String rl = quote(dst.resolve("rl"));

        Run.Result run = inView(tmp, move(src, dst), ""
                + rl + " /proc/self/exe\n"
                + "cd " + quote(dst) + " && ./rl /proc/self/exe && ./sub/../rl /proc/self/exe\n"
                + "PATH=" + quote(dst) + ":$PATH rl /proc/self/exe\n"
                + "sh -c 'exec " + rl + " /proc/$$/exe'\n"
                + quote(dst.resolve("rl")) + " -f " + quote(dst.resolve("subabs")) + "\n");

        String exe = dst.resolve("rl") + "\n";
        assertEquals(exe.repeat(5) + dst.resolve("sub") + "\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void scriptInterpreterUnderTarget() {
        // The kernel opens a script's #! interpreter itself, so the view must translate that path too.
        Path script = src.resolve("script");
        Run.write(script, "#!" + dst.resolve("rl") + " -f\n");
        assertTrue(script.toFile().setExecutable(true), "cannot make " + script + " executable");

        Run.Result run = inView(tmp, move(src, dst), "cd " + quote(dst.resolve("sub")) + " && ../script");

        assertEquals(dst.resolve("script") + "\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void fdPathShowsViewPath() {
        Function<Path, String> script = d -> String.join("\n",
                probe("fdpath", d.resolve("t")),
                probe("fdpath", d.resolve("abs")),
                probe("fdpath", d.resolve("subabs/f")),
                probe("fdpath", d),
                "exec 4<" + quote(d.resolve("sub/f")) + " && readlink /proc/self/fd/4 /proc/$$/fd/4 && cat /proc/self/fd/4",
                "cd " + quote(d.resolve("sub")) + " && " + probe("fdpath", "f") + " && " + probe("fdpath", "../u"),
                "");

        assertViewMatchesNative(script);

        Run.Result run = inView(tmp, move(src, dst), probe("fdpath", dst.resolve("t")));
        assertEquals(dst.resolve("t") + "\n", run.stdout(), run::toString);
    }

    @Test
    void unixSocketUnderTarget() throws IOException {
        Path socket = dst.resolve("sock");
        Path log = tmp.resolve("server.out");
        Run.Result run = inView(tmp, move(src, dst), ""
                + "timeout 20 " + probe("unix_server", socket) + " > " + quote(log) + " &\n"
                + "i=0; while [ ! -S " + quote(socket) + " ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n"
                + probe("unix_client", socket, "hello through DST") + "\n"
                + "wait\n"
                + "cat " + quote(log) + "\n");

        assertEquals("sent\nlistening\nhello through DST\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
        Path hostSocket = src.resolve("sock");
        assertTrue(Files.readAttributes(hostSocket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(), "the socket bound at DST/sock must be SRC/sock on the host");
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the host's DST must hold no socket");
    }

    @Test
    void unixSocketNamesShowTarget() throws IOException {
        // The server binds and accepts, and a child process connects. Both ask for the socket's name.
        // The last getsockname passes a 12-byte buffer: the name is cut there, and the length is whole.
        Path script = tmp.resolve("names.py");
        Files.writeString(script, String.join("\n",
                "import ctypes, os, socket, sys",
                "path = sys.argv[1]",
                "server = socket.socket(socket.AF_UNIX)",
                "server.bind(path)",
                "server.listen(1)",
                "print('bound', server.getsockname(), flush=True)",
                "if os.fork() == 0:",
                "    client = socket.socket(socket.AF_UNIX)",
                "    client.connect(path)",
                "    print('peer', client.getpeername(), flush=True)",
                "    os._exit(0)",
                "connection, address = server.accept()",
                "os.wait()",
                "print('accepted from', repr(address), 'on', connection.getsockname())",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "buffer = ctypes.create_string_buffer(12)",
                "size = ctypes.c_uint(12)",
                "if libc.getsockname(server.fileno(), buffer, ctypes.byref(size)) != 0:",
                "    raise OSError(ctypes.get_errno(), 'getsockname failed')",
                "print('cut', buffer.raw[2:].decode(), size.value)",
                ""));
        Path socket = dst.resolve("sock");
        Path nativeSocket = src.resolve("sock2");

        Run.Result run = inView(tmp, move(src, dst), "python3 " + quote(script) + " " + quote(socket));
        Run.Result nativeRun = Run.outside("python3", script.toString(), nativeSocket.toString()).result();

        assertEquals(socketNames(socket), run.stdout(), run::toString);
        assertEquals(socketNames(nativeSocket), nativeRun.stdout(), () -> "the same script outside the view:\n" + nativeRun);
    }

    /** Returns what names.py prints for a socket bound at {@code socket}. */
    private static String socketNames(Path socket) {
        String path = socket.toString();
        return "bound " + path + "\npeer " + path + "\naccepted from '' on " + path + "\n"
                + "cut " + path.substring(0, 10) + " " + (2 + path.length() + 1) + "\n";
    }

    @Test
    void viewumountRestoresTarget() {
        String t = quote(dst);
        Run.Result run = inView(tmp, move(src, dst), ""
                + "cat " + t + "/t\n"
                + "viewumount " + t + " && ls " + t + " && cat " + t + "/orig\n"
                + "cat " + t + "/t\n");

        assertEquals("one\norig\ncovered by the mount\n", run.stdout(), run::toString);
        assertEquals("cat: " + dst.resolve("t") + ": No such file or directory\n", run.stderr(), run::toString);
    }

    @Test
    void viewumountOfPlainDirectoryMatchesNative() {
        Run.Result nativeRun = Run.outside(Run.home().resolve("bin/viewumount").toString(), dst.toString()).result();
        Run.Result viewRun = inView(tmp, List.of(), "viewumount " + quote(dst));

        assertSameRun(nativeRun, dst.toString(), dst.toString(), viewRun);
    }

    @Test
    void fileOverFile() throws IOException {
        Path conf = tmp.resolve("etc/resolv.conf");
        Path privateConf = tmp.resolve("private-resolv.conf");
        Run.write(conf, "nameserver 192.0.2.1\n");
        Run.write(privateConf, "nameserver 127.0.0.53\n");
        String c = quote(conf);

        Run.Result run = inView(tmp, move(privateConf, conf), ""
                + "cat " + c + "\n"
                + "echo 'options edns0' >> " + c + "\n"
                + "stat -c '%F %s' " + c + "\n"
                + "ls " + quote(conf.getParent()) + "\n"
                + probe("fdpath", conf) + "\n"
                + "viewumount " + c + " && cat " + c + "\n");

        assertEquals("nameserver 127.0.0.53\n"
                + "regular file 36\n"
                + "resolv.conf\n"
                + conf + "\n"
                + "nameserver 192.0.2.1\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        assertEquals("nameserver 127.0.0.53\noptions edns0\n", Files.readString(privateConf),
                "a write through the bound file must reach the private file");
        assertEquals("nameserver 192.0.2.1\n", Files.readString(conf), "the covered file must stay unchanged");
    }

    @Test
    void missingTargetShowsSource() {
        Path missing = tmp.resolve("new");
        Run.Result run = inView(tmp, move(src, missing), ""
                + "cat " + quote(missing.resolve("t")) + "\n"
                + probe("statx", missing) + "\n"
                + "cd " + quote(missing) + " && pwd && echo made > made\n");

        assertEquals("one\ntype directory size 4096\n" + missing + "\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        assertFalse(Files.exists(missing, LinkOption.NOFOLLOW_LINKS), "the mount must not create DST on the host");
        assertTrue(Files.exists(src.resolve("made")), "a write through the missing DST must reach SRC");
    }

    @Test
    void missingTargetAppearsInParentListing() {
        // A mount point is an entry of its parent directory, so ls, find and globs must see it.
        Path missing = tmp.resolve("new");
        Run.Result run = inView(tmp, move(src, missing), ""
                + "ls " + quote(tmp) + "\n"
                + "find " + quote(tmp) + " -maxdepth 1 -name new\n"
                + "python3 -c 'import os,sys; print(\"new\" in os.listdir(sys.argv[1]))' " + quote(tmp) + "\n");

        assertEquals("new\nreal-src\ntwin-dst\nview-dst\n" + missing + "\nTrue\n", run.stdout(), run::toString);
    }

    @Test
    void targetUnderMissingParent() {
        // The kernel fails such a mount with ENOENT. A view may instead make DST's parents appear,
        // but then DST must show SRC, not a parent without its child.
        Path deep = tmp.resolve("nx/deep");
        Run.Result run = inView(tmp, List.of(), move(src, deep) + " && cat " + quote(deep.resolve("t")));

        if (run.exitCode() == 1 && run.stderr().contains("viewmount:")) {
            assertTrue(run.stderr().contains("No such file or directory"), run::toString);
        } else {
            assertEquals("one\n", run.stdout(), () -> "viewmount succeeded, so DST must show SRC:\n" + run);
        }
    }

    @Test
    void unknownTypeGoesToKernel() {
        String command = "viewmount -t nosuchfs none " + quote(dst);
        Run.Result nativeRun = outside(tmp, quote(Run.home().resolve("bin")) + "/" + command);
        Run.Result viewRun = inView(tmp, List.of(), command);

        // The kernel's error is the same. The hint after it names where a service type comes from.
        String nativeHint = "viewmount: not inside kmview, so only the kernel's types exist;";
        String viewHint = "viewmount: no service of this view serves type nosuchfs;";
        assertTrue(nativeRun.stderr().contains(nativeHint), nativeRun::toString);
        assertTrue(viewRun.stderr().contains(viewHint), viewRun::toString);
        assertSameRun(withoutLineStarting(nativeRun, nativeHint), dst.toString(), dst.toString(),
                withoutLineStarting(viewRun, viewHint));
        assertTrue(viewRun.stderr().startsWith("viewmount:"), viewRun::toString);
    }

    private static Run.Result withoutLineStarting(Run.Result run, String prefix) {
        String stderr = run.stderr().lines().filter(line -> !line.startsWith(prefix))
                .map(line -> line + "\n").collect(java.util.stream.Collectors.joining());
        return new Run.Result(run.exitCode(), run.stdout(), stderr);
    }
}
