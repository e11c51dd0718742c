package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.inView;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t viewfs -o cow SRC DST}: the view changes its own copy of DST, kept in SRC;
 * DST never changes. Each test checks the view's result and that DST is byte-identical after.
 */
@Timeout(120)
class ViewFsCowIT {

    /** A hash of every path below the current directory: type, mode, size, mtime and content. */
    private static final String TREE_HASH = "find . | LC_ALL=C sort | while read -r p; do"
            + " if [ -L \"$p\" ]; then echo \"$p link $(readlink \"$p\")\"; elif [ -d \"$p\" ]; then"
            + " echo \"$p dir $(stat -c '%a %Y' \"$p\")\"; else echo \"$p $(stat -c '%a %s %Y' \"$p\")"
            + " $(sha256sum < \"$p\" | cut -c1-16)\"; fi; done | sha256sum";

    @TempDir
    Path tmp;
    Path upper;
    Path lower;

    @BeforeEach
    void createTrees() throws IOException {
        upper = tmp.resolve("upper");
        lower = tmp.resolve("lower");
        mkdirs(upper);
        mkdirs(lower.resolve("dir/deep"));
        Files.writeString(lower.resolve("file"), "lower\n");
        Files.setPosixFilePermissions(lower.resolve("file"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(lower.resolve("file"), FileTime.fromMillis(1_577_836_800_000L));
        Files.writeString(lower.resolve("dir/deep/inner"), "inner\n");
        Files.writeString(lower.resolve("gone"), "gone\n");
        Files.createSymbolicLink(lower.resolve("link"), Path.of("file"));
    }

    private String cow() {
        return "viewmount -t viewfs -o cow " + quote(upper) + " " + quote(lower);
    }

    private String hash(Path directory) {
        Run.Result result = Run.outside("sh", "-c", "cd " + quote(directory) + " && " + TREE_HASH).result();
        assertEquals(0, result.exitCode(), result::toString);
        return result.stdout();
    }

    @Test
    void writesGoToSourceAndDstStaysIdentical() throws IOException {
        String before = hash(lower);
        String script = "cd lower && echo more >> file && stat -c %a file && rm gone && mkdir made"
                + " && echo x > made/x && mv dir moved && chmod 700 moved/deep && ln -s moved link2"
                + " && ls -A . moved && cat file moved/deep/inner && { cat gone 2>/dev/null || echo gone is gone; }";
        Run.Result view = inView(tmp, cow(), script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("640\n.:\nfile\nlink\nlink2\nmade\nmoved\n\nmoved:\ndeep\n"
                + "lower\nmore\ninner\ngone is gone\n", view.stdout(), view::toString);
        assertEquals(before, hash(lower), "DST changed");
        assertEquals("lower\nmore\n", Files.readString(upper.resolve("file")));
        assertTrue(Files.isDirectory(upper.resolve("moved/deep")), "the renamed directory was copied up whole");
        assertEquals(List.of("dir", "gone"), Files.readAllLines(upper.resolve(".kmview-cow/whiteouts")));
    }

    @Test
    void copyUpKeepsAttributesUntilWritten() throws IOException {
        Run.Result view = inView(tmp, cow(), "cd lower && chmod 604 file && stat -c '%a %Y %s' file && readlink link"
                + " && touch -h -d 2021-02-03T04:05:06Z link && cat file");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("604 1577836800 6\nfile\nlower\n", view.stdout(), view::toString);
        assertEquals("rw----r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(upper.resolve("file"))));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(lower.resolve("file"))));
        assertEquals(Path.of("file"), Files.readSymbolicLink(upper.resolve("link")));
    }

    @Test
    void recreatedNameReplacesWhiteout() {
        Run.Result view = inView(tmp, cow(), "cd lower && rm -r dir gone && echo new > gone && mkdir dir && ls -A . dir"
                + " && cat gone");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(".:\ndir\nfile\ngone\nlink\n\ndir:\nnew\n", view.stdout(), view::toString);
        assertTrue(Files.exists(lower.resolve("dir/deep/inner")), "DST keeps dir/deep/inner");
        assertTrue(Files.exists(lower.resolve("gone")), "DST keeps gone");
    }

    @Test
    void fileOpenBeforeCopyUpKeepsOldContent() {
        String python = "f = open('lower/file'); g = open('lower/file', 'a'); g.write('new\\n'); g.close();"
                + " print(repr(f.read())); print(repr(open('lower/file').read()))";
        Run.Result view = inView(tmp, cow(), "python3 -c " + quote(python));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("'lower\\n'\n'lower\\nnew\\n'\n", view.stdout(), view::toString);
    }

    @Test
    void largeDirectoryListsOnceWithSeekdir() throws IOException {
        Path big = lower.resolve("big");
        mkdirs(big);
        for (int i = 0; i < 10_000; i++) {
            Files.createFile(big.resolve(String.format("f%05d", i)));
        }
        String script = "cd lower/big && rm f00000 f05000 && touch f00001 new1 new2 && "
                + ViewFsTesting.probe("seekdir", ".") + " && ls | wc -l && ls | sort | uniq -d | wc -l";
        Run.Result view = inView(tmp, cow(), script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("entries 10002\nseekdir ok\nrewinddir ok\n10000\n0\n", view.stdout(), view::toString);
    }

    @Test
    void gitInCowKeepsCheckoutIdentical() throws IOException {
        Path repo = tmp.resolve("repo");
        mkdirs(repo);
        String setup = "git init -q -b main . && git config user.email t@example.invalid && git config user.name T"
                + " && printf 'one\\n' > a.txt && mkdir src && printf 'int x;\\n' > src/x.c && git add -A"
                + " && git commit -qm first && printf 'two\\n' >> a.txt && git commit -qam second";
        Run.Result made = Run.outside("sh", "-c", setup).in(repo).result();
        assertEquals(0, made.exitCode(), made::toString);
        String before = hash(repo);
        Path changes = tmp.resolve("changes");
        mkdirs(changes);
        String work = "cd repo && git checkout -q -b x && printf 'three\\n' >> a.txt && printf 'new\\n' > b.txt"
                + " && git add -A && git commit -qm third && git gc -q && git log --oneline | wc -l && git status --short";
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", "viewmount -t viewfs -o cow "
                + quote(changes) + " " + quote(repo) + " && " + work).in(tmp).timeout(Duration.ofMinutes(2)).result();
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("3\n", view.stdout(), view::toString);
        assertEquals(before, hash(repo), "the real checkout changed");
        assertEquals("one\ntwo\nthree\n", Files.readString(changes.resolve("a.txt")));
        assertTrue(Files.exists(changes.resolve(".git/refs/heads/x")) || Files.exists(changes.resolve(".git/packed-refs")),
                "SRC holds the new branch");
    }

    @Test
    void pthFileInCowSitePackages() throws IOException {
        Run.Result site = Run.outside("python3", "-c", "import site; print(site.getsitepackages()[0])").result();
        Path sitePackages = Path.of(site.stdout().trim());
        assertTrue(Files.isDirectory(sitePackages), site::toString);
        String before = Run.outside("sh", "-c", "ls -A " + quote(sitePackages) + " | sha256sum").result().stdout();
        Path extra = tmp.resolve("extra");
        mkdirs(extra);
        Files.writeString(extra.resolve("kmview_probe_module.py"), "VALUE = 42\n");
        Path changes = tmp.resolve("site-changes");
        mkdirs(changes);
        String script = "viewmount -t viewfs -o cow " + quote(changes) + " " + quote(sitePackages)
                + " && echo " + quote(extra) + " > " + quote(sitePackages.resolve("kmview-probe.pth"))
                + " && python3 -c 'import kmview_probe_module; print(kmview_probe_module.VALUE)'";
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(tmp).result();
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("42\n", view.stdout(), view::toString);
        assertFalse(Files.exists(sitePackages.resolve("kmview-probe.pth")), "the real site-packages changed");
        assertEquals(before, Run.outside("sh", "-c", "ls -A " + quote(sitePackages) + " | sha256sum").result().stdout());
        assertTrue(Files.exists(changes.resolve("kmview-probe.pth")));
    }

    @Test
    void badOptionsFail() {
        Run.Result view = inView(tmp, List.of(), "viewmount -t viewfs -o cow,merge " + quote(upper) + " " + quote(lower)
                + " 2>/dev/null; echo $?; viewmount -t viewfs -o cow " + quote(tmp.resolve("missing")) + " "
                + quote(lower) + " 2>/dev/null; echo $?; viewmount -t viewfs -o cow,except=/elsewhere " + quote(upper)
                + " " + quote(lower) + " 2>/dev/null; echo $?");
        assertEquals("1\n1\n1\n", view.stdout(), view::toString);
        assertNotEquals("", view.stderr(), "kmview names the fault");
    }

    @Test
    void wholeSystemAsPrivateCopy() throws IOException {
        Path changes = tmp.resolve("system-changes");
        mkdirs(changes);
        String probe = "/etc/kmview-cow-probe-" + ProcessHandle.current().pid();
        String script = "viewmount -t viewfs -o cow,except=/proc,except=/dev,except=/sys,except=/tmp " + quote(changes)
                + " / && echo probe > " + probe + " && cat " + probe + " && ls -A / | sort | uniq -d | wc -l"
                + " && ls -A / | wc -l && ls -A /etc | grep -c -x " + probe.substring(5);
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(tmp).result();
        int rootEntries = Run.outside("sh", "-c", "ls -A / | wc -l").result().stdout().trim().isEmpty() ? -1
                : Integer.parseInt(Run.outside("sh", "-c", "ls -A / | wc -l").result().stdout().trim());
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("probe\n0\n" + rootEntries + "\n1\n", view.stdout(), view::toString);
        assertFalse(Files.exists(Path.of(probe)), "the real /etc changed");
        assertEquals("probe\n", Files.readString(changes.resolve(probe.substring(1))));
    }

    @Test
    void mincowWritesWhereAllowedAndCopiesUpElsewhere() throws IOException {
        Path readOnlyDir = lower.resolve("locked");
        mkdirs(readOnlyDir);
        Files.writeString(readOnlyDir.resolve("kept"), "kept\n");
        Run.Result whoami = Run.outside("id", "-u").result();
        String script = "viewmount -t viewfs -o mincow " + quote(upper) + " " + quote(lower)
                + " && echo more >> lower/file && echo new > lower/new && rm lower/gone && cat lower/file";
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(tmp).result();
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("lower\nmore\n", view.stdout(), view::toString);
        // The user owns DST, so mincow changed it in place.
        assertEquals("lower\nmore\n", Files.readString(lower.resolve("file")));
        assertEquals("new\n", Files.readString(lower.resolve("new")));
        assertFalse(Files.exists(lower.resolve("gone")));
        assertFalse(Files.exists(upper.resolve("file")), "nothing was copied up: " + whoami.stdout());
    }

    @Test
    void pythonSuitesWithTempDirInCowMount() throws IOException {
        Path pythonTemp = tmp.resolve("pytmp");
        Path pythonChanges = tmp.resolve("pytmp-changes");
        mkdirs(pythonTemp);
        mkdirs(pythonChanges);
        String modules = "test_shutil test_os test_tempfile test_glob test_pathlib";
        // Python 3.11.7 prints "Total tests: ..." and "Result: ...", Debian's 3.11.2 "Tests result: ...".
        String run = "python3 -m test " + modules + " 2>&1 | grep -E '^(Tests result|Result|Total tests|test_[a-z]+ (failed|skipped))'";
        Run.Result outside = Run.outside("sh", "-c", "TMPDIR=" + quote(pythonTemp) + " " + run).in(tmp)
                .timeout(Duration.ofMinutes(3)).result();
        String script = "viewmount -t viewfs -o cow " + quote(pythonChanges) + " " + quote(pythonTemp) + " && TMPDIR="
                + quote(pythonTemp) + " " + run;
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(tmp)
                .timeout(Duration.ofMinutes(3)).result();
        assertTrue(outside.stdout().contains("esult"), outside::toString);
        assertEquals(outside.stdout(), view.stdout(), view::toString);
    }

    @Test
    void fullDiskCopyUpLeavesNothing() throws IOException {
        Path small = tmp.resolve("small-upper");
        mkdirs(small);
        Run.Result mounted = Run.outside("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()).result();
        org.junit.jupiter.api.Assumptions.assumeTrue(mounted.exitCode() == 0,
                "a 1 MiB tmpfs for SRC needs root and a kernel that lets this machine mount one: " + mounted);
        try {
            byte[] big = new byte[3 << 20];
            java.util.Arrays.fill(big, (byte) 'k');
            Files.write(lower.resolve("big"), big);
            String script = "viewmount -t viewfs -o cow " + quote(small) + " " + quote(lower)
                    + " && { echo x >> lower/big; echo status $?; } 2>&1";
            Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(tmp).result();
            assertTrue(view.stdout().contains("No space left on device"), view::toString);
            assertTrue(view.stdout().endsWith("status 2\n"), view::toString);
            try (var left = Files.list(small)) {
                assertEquals(List.of(), left.toList(), "a partial copy is left in SRC");
            }
            assertEquals(3 << 20, Files.size(lower.resolve("big")), "the lower file is untouched");
        } finally {
            Run.outside("umount", small.toString()).result();
        }
    }

    @Test
    void renameOfPartlyCopiedDirectoryMovesEverything() {
        String script = "cd lower && rm dir/deep/inner && touch dir/new && echo more >> file && mv dir dir2"
                + " && find dir2 | sort && ls dir 2>/dev/null | wc -l";
        Run.Result view = inView(tmp, cow(), script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("dir2\ndir2/deep\ndir2/new\n0\n", view.stdout(), view::toString);
        assertTrue(Files.exists(lower.resolve("dir/deep/inner")), "DST is untouched");
    }

    @Test
    void whiteoutHidesNameInLowerOnlyDirectory() {
        Run.Result view = inView(tmp, cow(), "cd lower && rm dir/deep/inner && ls -A dir/deep | wc -l"
                + " && python3 -c \"import os; print(os.listdir('dir/deep'))\"");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("0\n[]\n", view.stdout(), view::toString);
    }

    @Test
    void bigDirectoryRenameFailsWithExdevBeforeCopying() throws IOException {
        Path huge = lower.resolve("huge");
        mkdirs(huge);
        for (int i = 0; i < 10_050; i++) {
            Files.createFile(huge.resolve("f" + i));
        }
        String python = "import os\ntry:\n    os.rename('lower/huge', 'lower/huge2')\nexcept OSError as e:\n    print(e.errno)";
        Run.Result view = inView(tmp, cow(), "python3 -c " + quote(python) + " && mv lower/huge lower/huge3"
                + " && ls lower/huge3 | wc -l");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("18\n10050\n", view.stdout(), view::toString);
    }

    @Test
    void sourceInsideDestinationIsEinvalUnlessExcepted() {
        Path inner = lower.resolve("changes");
        mkdirs(inner);
        Run.Result view = inView(tmp, List.of(), "viewmount -t viewfs -o cow " + quote(inner) + " " + quote(lower)
                + " 2>/dev/null; echo $?; viewmount -t viewfs -o cow,except=changes " + quote(inner) + " " + quote(lower)
                + " && echo mounted");
        assertEquals("1\nmounted\n", view.stdout(), view::toString);
    }

    @Test
    void sameSourceTwiceUnmounts() {
        Run.Result view = inView(tmp, cow(), "viewmount -t viewfs -o cow,ro " + quote(upper) + " " + quote(lower)
                + " && viewumount " + quote(lower) + " && viewumount " + quote(lower) + " && echo both unmounted");
        assertEquals("both unmounted\n", view.stdout(), view::toString);
    }

    @Test
    void changesThroughReadOnlyDescriptorReachTheCopy() throws IOException {
        String python = "import os\nfd = os.open('lower/file', os.O_RDONLY)\nos.fchmod(fd, 0o600)\n"
                + "os.utime(fd, (1000000000, 1000000000))\nos.setxattr(fd, 'user.kmview', b'yes')\n"
                + "print(oct(os.stat('lower/file').st_mode & 0o777), os.stat('lower/file').st_mtime,"
                + " os.getxattr('lower/file', 'user.kmview'))";
        Run.Result view = inView(tmp, cow(), "python3 -c " + quote(python));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("0o600 1000000000.0 b'yes'\n", view.stdout(), view::toString);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(lower.resolve("file"))),
                "DST changed");
        assertEquals(FileTime.fromMillis(1_577_836_800_000L), Files.getLastModifiedTime(lower.resolve("file")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(upper.resolve("file"))));
    }
}
