package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t umfuseTYPE SOURCE DIR}: archives and images as directory trees in a view.
 * Each test builds its source with the standard tool (zip, tar, genisoimage, mkfs.vfat and
 * mcopy) from a real tree, runs tools on the mount inside {@code kmview -p umfuse}, and compares
 * with the same tools on the original tree outside. Writes are checked in the image afterwards
 * with unzip -t, fsck.vfat -n and mtools.
 */
@Timeout(180)
class UmfuseIT {

    @TempDir
    Path tmp;
    Path tree;
    Path mnt;

    @BeforeEach
    void createTree() throws IOException {
        tree = tmp.resolve("tree");
        mnt = tmp.resolve("mnt");
        mkdirs(tree.resolve("sub/deeper"));
        mkdirs(mnt);
        Files.writeString(tree.resolve("hello.txt"), "hello, archive\n");
        Files.writeString(tree.resolve("sub/data.csv"), "a,b\n1,2\n");
        Files.writeString(tree.resolve("sub/deeper/notes.md"), "# notes\n".repeat(500));
        Files.write(tree.resolve("sub/binary.bin"), new byte[] {0, 1, 2, (byte) 0xff, 10, 0});
        Path script = Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho ran from the archive \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(tree.resolve("link-to-hello"), Path.of("hello.txt"));
    }

    /** Runs {@code script} with sh -c in {@code kmview -p umfuse}, from the temp directory. */
    private Run.Result inView(String script) {
        return inView(List.of("-p", "umfuse"), script);
    }

    private Run.Result inView(List<String> options, String script) {
        return Run.insideWith(options, "sh", "-c", script).in(tmp).timeout(Duration.ofMinutes(2)).result();
    }

    private Run.Result outside(String script) {
        return Run.outside("sh", "-c", script).in(tmp).result();
    }

    private String mount(String type, Object source, String options) {
        return "viewmount -t " + type + (options.isEmpty() ? "" : " -o " + options) + " " + quote(source) + " "
                + quote(mnt);
    }

    /**
     * A listing of every path below the current directory: a symlink's target, a directory's mode
     * and mtime, and a file's size, mode, mtime and content hash.
     */
    private static final String DESCRIBE_TREE = "find . -mindepth 1 | LC_ALL=C sort | while read -r p; do"
            + " if [ -L \"$p\" ]; then echo \"$p link $(readlink \"$p\")\";"
            + " elif [ -d \"$p\" ]; then echo \"$p dir $(stat -c '%a %Y' \"$p\")\";"
            + " else echo \"$p file $(stat -c '%s %a %Y' \"$p\") $(sha256sum < \"$p\" | cut -c1-16)\"; fi; done";

    /** DESCRIBE_TREE without times, for trees whose new entries were made at different moments. */
    private static final String DESCRIBE_CONTENT = DESCRIBE_TREE.replace(" %Y", "");

    private void assertSameTree(Path original, Run.Result view) {
        Run.Result expected = outside("cd " + quote(original) + " && " + DESCRIBE_TREE);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    private Path zipOf(Path directory, String name) {
        Path zip = tmp.resolve(name);
        Run.Result made = outside("cd " + quote(directory) + " && zip -q -r --symlinks " + quote(zip) + " .");
        assertEquals(0, made.exitCode(), made::toString);
        return zip;
    }

    @Test
    void zipShowsTree() {
        Path zip = zipOf(tree, "tree.zip");
        assertSameTree(tree, inView(mount("umfusezip", zip, "ro") + " && cd " + quote(mnt) + " && " + DESCRIBE_TREE));
    }

    @Test
    void readOnlyMountRefusesChangesWithErofs() {
        Path zip = zipOf(tree, "ro.zip");
        String hello = quote(mnt.resolve("hello.txt"));
        String attempts = String.join("; ", List.of("echo x > " + hello, "touch " + quote(mnt.resolve("new")),
                "rm " + hello, "mkdir " + quote(mnt.resolve("dir")), "chmod 600 " + hello,
                "mv " + hello + " " + quote(mnt.resolve("moved")), "ln -s x " + quote(mnt.resolve("link"))));
        Run.Result view = inView(mount("umfusezip", zip, "ro") + " && { " + attempts + "; } 2>&1 | grep -c 'Read-only file system';"
                + " cat " + hello + " && stat -c %a " + hello);
        assertEquals("7\nhello, archive\n644\n", view.stdout(), view::toString);
    }

    @Test
    void realJarListsReadsAndRuns() throws IOException {
        Path jar = tmp.resolve("picocli.jar");
        Files.copy(Run.home().resolve("lib/picocli.jar"), jar);
        String run = "java -cp %s picocli.AutoComplete --help";
        Run.Result expected = outside("unzip -Z1 " + quote(jar) + " | cut -d/ -f1 | LC_ALL=C sort -u"
                + " && unzip -p " + quote(jar) + " META-INF/MANIFEST.MF && " + run.formatted(quote(jar)));
        Run.Result view = inView(mount("umfusejar", jar, "ro") + " && ls -A " + quote(mnt) + " | LC_ALL=C sort"
                + " && cat " + quote(mnt.resolve("META-INF/MANIFEST.MF")) + " && " + run.formatted(quote(mnt)));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    @Test
    void zipWritesReachImageAtUmount() throws IOException {
        Path zip = zipOf(tree, "rw.zip");
        String edits = "echo new file > new.txt && mkdir -p made/inner && echo inside > made/inner/x"
                + " && mv hello.txt renamed.txt && rm sub/data.csv && rmdir sub/deeper 2>/dev/null;"
                + " rm -r sub/deeper && truncate -s 3 sub/binary.bin && chmod 600 run.sh"
                + " && touch -d 2020-01-02T03:04:05Z renamed.txt";
        Run.Result view = inView(mount("umfusezip", zip, "rw") + " && cd " + quote(mnt) + " && " + edits
                + " && cd / && viewumount " + quote(mnt) + " && ls " + quote(mnt));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("", view.stdout(), "the mount point is empty again after viewumount");

        Path expected = tmp.resolve("expected");
        Run.Result copy = outside("cp -a " + quote(tree) + " " + quote(expected) + " && cd " + quote(expected) + " && " + edits);
        assertEquals(0, copy.exitCode(), copy::toString);
        Run.Result test = outside("unzip -tq " + quote(zip));
        assertEquals(0, test.exitCode(), test::toString);
        Path extracted = tmp.resolve("extracted");
        assertEquals(0, outside("mkdir " + quote(extracted) + " && cd " + quote(extracted) + " && unzip -q " + quote(zip)).exitCode());
        assertEquals(outside("cd " + quote(expected) + " && " + DESCRIBE_CONTENT).stdout(),
                outside("cd " + quote(extracted) + " && " + DESCRIBE_CONTENT).stdout());
        assertEquals(outside("stat -c '%a %Y' " + quote(expected.resolve("run.sh")) + " " + quote(expected.resolve("renamed.txt"))).stdout(),
                outside("stat -c '%a %Y' " + quote(extracted.resolve("run.sh")) + " " + quote(extracted.resolve("renamed.txt"))).stdout(),
                "modes and times survive the write-back");
    }

    @Test
    void zipWrittenWhenViewEnds() {
        Path zip = zipOf(tree, "exit.zip");
        Run.Result view = inView(mount("umfusezip", zip, "") + " && echo at exit > " + quote(mnt.resolve("exit.txt")));
        assertEquals(0, view.exitCode(), view::toString);
        Run.Result content = outside("unzip -tq " + quote(zip) + " && unzip -p " + quote(zip) + " exit.txt");
        assertEquals(0, content.exitCode(), content::toString);
        assertTrue(content.stdout().endsWith("at exit\n"), content::toString);
    }

    @Test
    void zipWrittenAfterSigterm() throws Exception {
        Path zip = zipOf(tree, "term.zip");
        Path ready = tmp.resolve("ready");
        Process kmview = Run.insideWith(List.of("-p", "umfuse"), "sh", "-c", mount("umfusezip", zip, "")
                + " && echo before term > " + quote(mnt.resolve("term.txt")) + " && touch " + quote(ready)
                + " && sleep 60; echo the shell outlived its child").in(tmp).start();
        for (int i = 0; i < 300 && !Files.exists(ready); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(ready), "the view never got ready");
        // kmview passes SIGTERM to every process of the view, the sleep below the shell too.
        kmview.destroy();
        assertTrue(kmview.waitFor(20, TimeUnit.SECONDS), "kmview did not end after SIGTERM");
        assertEquals(143, kmview.exitValue(), "the program died of SIGTERM");
        Run.Result content = outside("unzip -tq " + quote(zip) + " && unzip -p " + quote(zip) + " term.txt");
        assertEquals(0, content.exitCode(), content::toString);
        assertEquals("before term\n", content.stdout().substring(content.stdout().indexOf("before")), content::toString);
    }

    @Test
    void tarXzSourcesBuildFromMount() {
        Path project = tmp.resolve("project");
        Path archive = tmp.resolve("project.tar.xz");
        assertEquals(0, outside(quote(Run.home().resolve("../../../bench/gen-cproject").normalize()) + " --files 6 "
                + quote(project) + " && tar -C " + quote(project) + " -cJf " + quote(archive) + " .").exitCode());
        String build = "mkdir -p %1$s && cd %1$s && cc -O2 -I %2$s/include -o app %2$s/src/*.c && ./app";
        Run.Result expected = outside(build.formatted(quote(tmp.resolve("native-build")), quote(project)));
        Run.Result view = inView(mount("umfusetar", archive, "") + " && "
                + build.formatted(quote(tmp.resolve("view-build")), quote(mnt)));
        assertEquals(0, expected.exitCode(), expected::toString);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout());
    }

    @Test
    void tarFormatsShowTree() {
        for (String flags : List.of("-cf", "-czf", "-cjf", "-cJf")) {
            Path archive = tmp.resolve("tree" + flags + ".tar");
            assertEquals(0, outside("tar -C " + quote(tree) + " " + flags + " " + quote(archive) + " .").exitCode());
            assertSameTree(tree, inView(mount("umfusetar", archive, "") + " && cd " + quote(mnt) + " && " + DESCRIBE_TREE));
        }
    }

    @Test
    void isoOfDocsMatchesOriginal() {
        Path docs = tmp.resolve("docs");
        Path iso = tmp.resolve("docs.iso");
        Run.Result made = outside("mkdir " + quote(docs) + " && cp -r /usr/share/doc/bash /usr/share/doc/coreutils "
                + quote(docs) + " && cp -r " + quote(tree) + " " + quote(docs.resolve("tree"))
                + " && genisoimage -quiet -R -J -o " + quote(iso) + " " + quote(docs));
        assertEquals(0, made.exitCode(), made::toString);
        assertSameTree(docs, inView(mount("umfuseiso9660", iso, "") + " && cd " + quote(mnt) + " && " + DESCRIBE_TREE));
    }

    @Test
    void fatCopyInPassesFsck() {
        Path image = tmp.resolve("fat.img");
        assertEquals(0, outside("mkfs.vfat -C " + quote(image) + " 8192 >/dev/null").exitCode());
        Run.Result view = inView(mount("umfusefat", image, "rw") + " && cp -r " + quote(tree.resolve("sub")) + " "
                + quote(tree.resolve("hello.txt")) + " " + quote(mnt) + " && viewumount " + quote(mnt));
        assertEquals(0, view.exitCode(), view::toString);
        Run.Result fsck = outside("fsck.vfat -n " + quote(image));
        assertEquals(0, fsck.exitCode(), fsck::toString);
        Run.Result content = outside("mtype -i " + quote(image) + " ::/hello.txt && mtype -i " + quote(image)
                + " ::/sub/deeper/notes.md");
        assertEquals(0, content.exitCode(), content::toString);
        assertEquals("hello, archive\n" + "# notes\n".repeat(500), content.stdout());
    }

    @Test
    void fatImageFromMcopyShowsTree() {
        Path image = tmp.resolve("filled.img");
        Path plain = tmp.resolve("plain");
        // FAT keeps no symlinks, modes or owners, so the tree to compare has only files and directories.
        Run.Result made = outside("cp -r " + quote(tree) + " " + quote(plain) + " && rm " + quote(plain.resolve("link-to-hello"))
                + " && mkfs.vfat -C " + quote(image) + " 4096 >/dev/null && mcopy -s -m -i " + quote(image) + " "
                + quote(plain) + "/* ::/");
        assertEquals(0, made.exitCode(), made::toString);
        String describe = "find . -mindepth 1 | LC_ALL=C sort | while read -r p; do if [ -d \"$p\" ]; then echo \"$p dir\";"
                + " else echo \"$p $(stat -c %s \"$p\") $(sha256sum < \"$p\" | cut -c1-16)\"; fi; done";
        Run.Result expected = outside("cd " + quote(plain) + " && " + describe);
        Run.Result view = inView(mount("umfusefat", image, "ro") + " && cd " + quote(mnt) + " && " + describe);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    @Test
    void memMountIsWritableAndGoneAtUmount() throws IOException {
        Files.writeString(mnt.resolve("underneath"), "host file\n");
        Run.Result view = inView(mount("umfusemem", "none", "") + " && echo scratch > " + quote(mnt.resolve("f"))
                + " && mkdir " + quote(mnt.resolve("d")) + " && ls " + quote(mnt) + " && viewumount " + quote(mnt)
                + " && ls " + quote(mnt));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("d\nf\nunderneath\n", view.stdout());
    }

    @Test
    void mountsShowOwnDevices() {
        Path zip = zipOf(tree, "dev.zip");
        Path other = tmp.resolve("other");
        mkdirs(other);
        Run.Result view = inView(mount("umfusezip", zip, "ro") + " && viewmount -t umfusemem none " + quote(other)
                + " && stat -c %d " + quote(tmp) + " " + quote(mnt) + " " + quote(mnt.resolve("hello.txt")) + " "
                + quote(other));
        assertEquals(0, view.exitCode(), view::toString);
        List<String> devices = view.stdout().lines().toList();
        assertNotEquals(devices.get(0), devices.get(1), "the mount shows the host's device");
        assertEquals(devices.get(1), devices.get(2), "one mount shows one device");
        assertNotEquals(devices.get(1), devices.get(3), "two mounts share a device");
    }

    @Test
    void badSourcesFailViewGoesOn() throws IOException {
        Path corrupt = Files.write(tmp.resolve("corrupt.zip"), "PK\u0003\u0004 not really a zip".getBytes());
        Path zip = zipOf(tree, "whole.zip");
        byte[] whole = Files.readAllBytes(zip);
        Path truncated = Files.write(tmp.resolve("truncated.tar.gz"), new byte[0]);
        assertEquals(0, outside("tar -C " + quote(tree) + " -czf " + quote(truncated) + " . && truncate -s 100 "
                + quote(truncated)).exitCode());
        Files.write(tmp.resolve("half.zip"), java.util.Arrays.copyOf(whole, whole.length / 2));
        Run.Result view = inView(mount("umfusezip", tmp.resolve("missing.zip"), "") + "; echo $?; "
                + mount("umfusezip", corrupt, "") + "; echo $?; " + mount("umfusetar", truncated, "") + "; echo $?; "
                + mount("umfusezip", tmp.resolve("half.zip"), "") + "; echo $?; ls " + quote(mnt) + "; echo still running");
        assertEquals("nonzero\n".repeat(4) + "still running\n",
                view.stdout().replaceAll("(?m)^[1-9][0-9]*$", "nonzero"), view::toString);
        assertTrue(view.stderr().contains("No such file or directory"), view::toString);
        assertTrue(view.stderr().contains("Invalid argument"), view::toString);
    }

    @Test
    void unknownTypeGoesToKernel() {
        // The kernel returns the same error as outside; only viewmount's hint on the next line differs.
        String attempt = quote(Run.home().resolve("bin/viewmount")) + " -t umfusenosuchtype none " + quote(mnt)
                + " 2>&1 | head -1";
        Run.Result expected = outside(attempt);
        Run.Result view = inView(attempt);
        assertTrue(expected.stdout().contains("failed"), expected::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    @Test
    void busyMountAndServiceRemovalFail() {
        Path zip = zipOf(tree, "busy.zip");
        Run.Result view = inView(mount("umfusezip", zip, "ro") + " && cd " + quote(mnt.resolve("sub"))
                + " && { viewumount " + quote(mnt) + " 2>/dev/null; echo umount $?; }"
                + " && { um_del_service umfuse 2>/dev/null; echo del $?; }"
                + " && viewumount -l " + quote(mnt) + " && echo lazy && cd / && um_del_service umfuse && echo done");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("umount 1\ndel 1\nlazy\ndone\n", view.stdout(), view::toString);
    }

    @Test
    void isoInsideZipMountsUnlessNoNesting() {
        Path iso = tmp.resolve("inner.iso");
        assertEquals(0, outside("genisoimage -quiet -R -J -o " + quote(iso) + " " + quote(tree)).exitCode());
        Path holder = tmp.resolve("holder");
        mkdirs(holder);
        assertEquals(0, outside("cp " + quote(iso) + " " + quote(holder) + " && cd " + quote(holder)
                + " && zip -q ../holder.zip inner.iso").exitCode());
        Path inner = tmp.resolve("inner");
        mkdirs(inner);
        String script = mount("umfusezip", tmp.resolve("holder.zip"), "ro") + " && viewmount -t umfuseiso9660 "
                + quote(mnt.resolve("inner.iso")) + " " + quote(inner) + " && cat " + quote(inner.resolve("hello.txt"));
        String busy = "; viewumount " + quote(mnt) + " 2>/dev/null || echo the zip is busy; cat " + quote(inner.resolve("hello.txt"));
        Run.Result nested = inView(script + busy);
        assertEquals(0, nested.exitCode(), nested::toString);
        assertEquals("hello, archive\nthe zip is busy\nhello, archive\n", nested.stdout());
        Run.Result flat = inView(List.of("-x", "-p", "umfuse"), script);
        assertNotEquals(0, flat.exitCode(), flat::toString);
    }

    @Test
    void exceptAndMergeShowWhatLiesBelow() throws IOException {
        Path zip = zipOf(tree, "layers.zip");
        Files.writeString(mnt.resolve("only-below.txt"), "below\n");
        mkdirs(mnt.resolve("sub"));
        Files.writeString(mnt.resolve("sub/host.txt"), "host sub\n");
        Run.Result view = inView(mount("umfusezip", zip, "ro,merge,except=sub") + " && cat " + quote(mnt.resolve("hello.txt"))
                + " " + quote(mnt.resolve("only-below.txt")) + " " + quote(mnt.resolve("sub/host.txt"))
                + " && ! test -e " + quote(mnt.resolve("sub/data.csv")) + " && ls -A " + quote(mnt));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("hello, archive\nbelow\nhost sub\nhello.txt\nlink-to-hello\nonly-below.txt\nrun.sh\nsub\n",
                view.stdout(), view::toString);
    }

    @Test
    void largeMergedListingSeeksAndRewinds() throws IOException {
        Path image = tmp.resolve("image");
        mkdirs(image);
        for (int i = 0; i < 3000; i++) {
            Files.createFile(image.resolve(String.format("image%05d", i)));
            Files.createFile(mnt.resolve(String.format("below%05d", i)));
        }
        for (int i = 3000; i < 10000; i++) {
            Files.createFile(mnt.resolve(String.format("below%05d", i)));
        }
        Files.createFile(mnt.resolve("image00001"));
        Path zip = zipOf(image, "many.zip");
        Run.Result view = inView(mount("umfusezip", zip, "ro,merge") + " && " + ViewFsTesting.probe("seekdir", mnt)
                + " && ls " + quote(mnt) + " | wc -l && ls " + quote(mnt) + " | sort | uniq -d | wc -l");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("entries 13002\nseekdir ok\nrewinddir ok\n13000\n0\n", view.stdout(), view::toString);
    }

    @Test
    void severalTypesMountedTogether() {
        Path zip = zipOf(tree, "a.zip");
        Path tar = tmp.resolve("b.tar");
        assertEquals(0, outside("tar -C " + quote(tree) + " -cf " + quote(tar) + " .").exitCode());
        String script = "mkdir -p m1 m2 m3 && viewmount -t umfusezip " + quote(zip) + " m1 && viewmount -t umfusetar "
                + quote(tar) + " m2 && viewmount -t umfusemem none m3 && cp m1/hello.txt m3/ && cat m1/hello.txt"
                + " m2/sub/data.csv m3/hello.txt";
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("hello, archive\na,b\n1,2\nhello, archive\n", view.stdout());
    }

    @Test
    void filesInsideRunMapAndSend() {
        Path zip = zipOf(tree, "run.zip");
        String python = "import mmap, os, socket\n"
                + "with open('%1$s/hello.txt', 'rb') as f:\n"
                + "    print(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)[:5].decode())\n"
                + "    a, b = socket.socketpair()\n"
                + "    socket.send_fds(a, [b'fd'], [f.fileno()])\n"
                + "    _, fds, _, _ = socket.recv_fds(b, 2, 1)\n"
                + "    print(os.pread(fds[0], 7, 7).decode())\n"
                + "    r, w = os.pipe()\n"
                + "    print(os.sendfile(w, f.fileno(), 0, 5), os.read(r, 5).decode())\n";
        Run.Result view = inView(mount("umfusezip", zip, "ro") + " && " + quote(mnt.resolve("run.sh")) + " one"
                + " && python3 -c " + quote(python.formatted(mnt)));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("ran from the archive one\nhello\narchive\n5 hello\n", view.stdout(), view::toString);
    }

    @Test
    void ownerAndModeOptionsShowInStat() {
        Path zip = zipOf(tree, "owner.zip");
        Run.Result view = inView(mount("umfusezip", zip, "ro,uid=4321,gid=765,mode=640,umask=027")
                + " && stat -c '%u %g %a %n' " + quote(mnt.resolve("hello.txt")) + " " + quote(mnt.resolve("sub"))
                + " && python3 -c " + quote("import os; s = os.fstat(os.open('" + mnt.resolve("hello.txt")
                + "', 0)); print(s.st_uid, s.st_gid, oct(s.st_mode & 0o7777))"));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("4321 765 640 " + mnt.resolve("hello.txt") + "\n4321 765 750 " + mnt.resolve("sub")
                + "\n4321 765 0o640\n", view.stdout(), view::toString);
    }

    @Test
    void debugOptionLogsOperations() throws IOException {
        Path zip = zipOf(tree, "debug.zip");
        Path log = tmp.resolve("debug.log");
        Run.Result view = inView(List.of("-o", log.toString(), "-p", "umfuse"), mount("umfusezip", zip, "debug")
                + " && cat " + quote(mnt.resolve("hello.txt")) + " && viewumount " + quote(mnt));
        assertEquals(0, view.exitCode(), view::toString);
        String logText = Files.readString(log);
        for (String event : List.of("mounted", "materialised hello.txt", "unchanged", "unmounted")) {
            assertTrue(logText.contains(event), () -> "no \"" + event + "\" in the debug log:\n" + logText);
        }
    }

    @Test
    void zipWrittenAfterCtrlC() throws Exception {
        // A terminal's Ctrl-C sends SIGINT to the whole foreground process group: kmview ignores
        // it, the program ends, and the view's end writes the image back.
        Path zip = zipOf(tree, "int.zip");
        Path ready = tmp.resolve("ready");
        Process group = Run.outside("setsid", Run.kmview(), "-p", "umfuse", "sh", "-c", mount("umfusezip", zip, "")
                + " && echo before int > " + quote(mnt.resolve("int.txt")) + " && touch " + quote(ready)
                + " && exec sleep 60").in(tmp).start();
        for (int i = 0; i < 300 && !Files.exists(ready); i++) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(ready), "the view never got ready");
        Run.Result signal = Run.outside("/bin/kill", "-INT", "--", "-" + group.pid()).result();
        assertEquals(0, signal.exitCode(), signal::toString);
        assertTrue(group.waitFor(60, TimeUnit.SECONDS), "kmview did not end after SIGINT");
        assertEquals(130, group.exitValue(), "kmview exits with 128+SIGINT, as the program did");
        Run.Result content = outside("unzip -tq " + quote(zip) + " >/dev/null && unzip -p " + quote(zip) + " int.txt");
        assertEquals(0, content.exitCode(), content::toString);
        assertEquals("before int\n", content.stdout(), content::toString);
    }

    @Test
    void metadataCallsLeaveContentUnextracted() throws IOException {
        Path zip = zipOf(tree, "lazy.zip");
        Path log = tmp.resolve("lazy.log");
        String hello = quote(mnt.resolve("hello.txt"));
        Run.Result view = inView(List.of("-o", log.toString(), "-p", "umfuse"), mount("umfusezip", zip, "ro,debug")
                + " && ls -lR " + quote(mnt) + " >/dev/null && stat -c '%s %Y %i' " + hello + " > before"
                + " && cat " + hello + " && stat -c '%s %Y %i' " + hello + " > after && cmp before after && echo same");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("hello, archive\nsame\n", view.stdout(), view::toString);
        List<String> extracted = Files.readAllLines(log).stream().filter(line -> line.contains("materialised")).toList();
        assertEquals(1, extracted.size(), "only cat extracted a file: " + extracted);
        assertTrue(extracted.get(0).contains("hello.txt"), extracted::toString);
    }
}
