package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Unmodified FUSE daemons (fuse2fs, squashfuse, fuse-zip) in {@code kmview -p umfuse}, which gives
 * the view its own {@code /dev/fuse} and handles the daemon's {@code mount -t fuse.NAME -o fd=N}.
 * Each test builds its image with the standard tool (mkfs.ext4 -d, mksquashfs, zip) from a real
 * tree, runs the daemon and ordinary tools on the mount inside the view, and compares with the
 * same tools on the tree outside. Writes are checked in the image afterwards with e2fsck, debugfs
 * and unzip. Every daemon also runs with kmview started as a non-root user.
 */
@Timeout(120)
class FuseIT {

    /** The user that starts kmview. */
    enum User {
        /** The user that runs the tests. */
        CURRENT,
        /** The user {@code nobody} through runuser when the tests run as root, else the user that runs the tests. */
        NON_ROOT
    }

    /** A FUSE daemon, the image it serves and how that image is made from the directory {@code tree}. */
    enum Daemon {
        FUSE2FS("fuse2fs", "image.ext4", "mkfs.ext4 -q -d tree image.ext4 8M", "-o fakeroot", "fusermount"),
        SQUASHFUSE("squashfuse", "image.sqfs", "mksquashfs tree image.sqfs -quiet -no-progress", "", "fusermount3"),
        FUSE_ZIP("fuse-zip", "image.zip", "cd tree && zip -q -r --symlinks ../image.zip .", "", "fusermount");

        final String program;
        final String image;
        final String imageCommand;
        final String options;
        /** The fusermount of the daemon's libfuse: libfuse2 calls {@code fusermount}, libfuse3 {@code fusermount3}. */
        final String fusermount;

        Daemon(String program, String image, String imageCommand, String options, String fusermount) {
            this.program = program;
            this.image = image;
            this.imageCommand = imageCommand;
            this.options = options;
            this.fusermount = fusermount;
        }

        /** Returns the command that mounts the image on {@code dir}, in the foreground if {@code foreground}. */
        String mount(String dir, boolean foreground) {
            return program + (foreground ? " -f" : "") + (options.isEmpty() ? "" : " " + options) + " " + image + " "
                    + quote(dir);
        }
    }

    private static final boolean ROOT = currentUid() == 0;

    /** Whether the user that runs the tests may open the kernel's /dev/fuse, for runs outside to compare with. */
    private static final boolean KERNEL_FUSE = Files.isReadable(Path.of("/dev/fuse"))
            && Files.isWritable(Path.of("/dev/fuse"));

    /**
     * A listing of every path below the current directory except an ext4 lost+found: each entry's
     * owner, a symlink's target, a directory's mode and mtime, a file's size, mode, mtime and SHA-256.
     */
    private static final String DESCRIBE_TREE = "find . -mindepth 1 -path ./lost+found -prune -o -print"
            + " | LC_ALL=C sort | while read -r p; do"
            + " if [ -L \"$p\" ]; then echo \"$p link $(stat -c '%u %g' \"$p\") $(readlink \"$p\")\";"
            + " elif [ -d \"$p\" ]; then echo \"$p dir $(stat -c '%u %g %a %Y' \"$p\")\";"
            + " else echo \"$p file $(stat -c '%u %g %s %a %Y' \"$p\") $(sha256sum < \"$p\" | cut -d' ' -f1)\"; fi;"
            + " done";

    /** DESCRIBE_TREE without times, for trees whose entries were changed at different moments. */
    private static final String DESCRIBE_CONTENT = DESCRIBE_TREE.replace(" %Y", "");

    /** Runs the programs stored in the tree, from the directory that shows it. */
    private static final String RUN_PROGRAMS = "./bin/echo an ELF program from the image && ./run.sh one 'two words'";

    /**
     * Changes a tree in every way the daemons below must write back: create, overwrite, mkdir, rm,
     * mv, chmod, a symlink, a 1 MiB file and a set mtime. Runs in the tree's root, with
     * {@code ../big.bin} next to the tree.
     */
    private static final String EDITS = "echo created > new.txt && echo overwritten > hello.txt"
            + " && mkdir -p made/inner && echo inner > made/inner/x && rm sub/data.csv"
            + " && mv new.txt sub/moved.txt && chmod 600 hello.txt && chmod 750 made"
            + " && ln -s sub/moved.txt newlink && cp ../big.bin big.bin"
            + " && touch -d 2020-01-02T03:04:05Z hello.txt";

    /** A world-accessible directory with a copy of the distribution that the user {@code nobody} can run. */
    private static Path shared;

    @TempDir
    Path tmp;
    /** The directory the test's scripts run in: {@code tmp}, or one below {@link #shared} for {@code nobody}. */
    Path work;
    Path tree;
    Path mnt;

    @BeforeAll
    static void copyDistributionForNobody() throws IOException {
        if (!ROOT) {
            return;
        }
        shared = Run.shareDistribution("kmview-fuse-it-");
    }

    @AfterAll
    static void removeDistributionCopy() {
        if (shared != null) {
            Run.outside("rm", "-rf", shared.toString()).result();
        }
    }

    /**
     * Unmounts what a failed outside run with the kernel's FUSE left behind, and removes the work
     * directory of {@code nobody}.
     */
    @AfterEach
    void cleanUp() throws IOException {
        if (work == null) {
            return;
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String mountPoint = line.split(" ")[1];
            if (mountPoint.startsWith(work.toString() + "/")) {
                Run.outside(ROOT ? "umount" : "fusermount3", ROOT ? "-l" : "-uz", mountPoint).result();
            }
        }
        if (!work.equals(tmp)) {
            Run.outside("rm", "-rf", work.toString()).result();
        }
    }

    /** Creates the work directory for {@code user} and the tree the images are made from. */
    private void prepare(User user) throws IOException {
        if (asNobody(user)) {
            work = Files.createTempDirectory(shared, "work-");
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        } else {
            work = tmp;
        }
        tree = work.resolve("tree");
        mnt = work.resolve("mnt");
        mkdirs(tree.resolve("sub/deeper"));
        mkdirs(tree.resolve("bin"));
        mkdirs(mnt);

        Files.writeString(tree.resolve("hello.txt"), "hello, fuse\n");
        Path csv = Files.writeString(tree.resolve("sub/data.csv"), "a,b\n1,2\n");
        Files.setPosixFilePermissions(csv, PosixFilePermissions.fromString("rw-r-----"));
        Files.writeString(tree.resolve("sub/deeper/notes.md"), "# notes\n".repeat(500));
        Files.write(tree.resolve("sub/binary.bin"), new byte[] {0, 1, 2, (byte) 0xff, 10, 0});
        Files.createFile(tree.resolve("empty"));
        Path script = Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho \"run.sh got $# arguments: $*\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("/bin/echo"), tree.resolve("bin/echo"));
        Files.createSymbolicLink(tree.resolve("link-to-hello"), Path.of("hello.txt"));
        Files.createSymbolicLink(tree.resolve("sub/up"), Path.of("../hello.txt"));

        // EDITS copies this file into the mounts. Its bytes are random, so no block repeats another.
        byte[] big = new byte[1 << 20];
        new Random(6).nextBytes(big);
        Files.write(work.resolve("big.bin"), big);
        handOver(user);
    }

    /** Makes {@code nobody} the owner of the work directory, as if that user had made the tree and the images. */
    private void handOver(User user) {
        if (asNobody(user)) {
            Run.Result chown = Run.outside("chown", "-R", "nobody:", work.toString()).result();
            assertEquals(0, chown.exitCode(), chown::toString);
        }
    }

    /** Makes the daemon's image from the tree, outside. */
    private void makeImage(Daemon daemon) {
        Run.Result build = outside(daemon.imageCommand);
        assertEquals(0, build.exitCode(), build::toString);
    }

    /** Runs {@code script} with sh -c in {@code kmview -p umfuse}, started by {@code user}, from the work directory. */
    private Run.Result inView(User user, String script) {
        Run run;
        handOver(user);
        if (asNobody(user)) {
            run = Run.outside("runuser", "-u", "nobody", "--", shared.resolve("kmview/bin/kmview").toString(), "-p",
                    "umfuse", "sh", "-c", script);
        } else {
            run = Run.insideWith(List.of("-p", "umfuse"), "sh", "-c", script);
        }
        return run.in(work).timeout(Duration.ofSeconds(90)).result();
    }

    private Run.Result outside(String script) {
        return Run.outside("sh", "-c", script).in(work).timeout(Duration.ofSeconds(90)).result();
    }

    /** Runs {@code script} outside as {@code user}, so the files it makes have the owner the view gives them. */
    private Run.Result outside(User user, String script) {
        if (asNobody(user)) {
            handOver(user);
            return Run.outside("runuser", "-u", "nobody", "--", "sh", "-c", script).in(work)
                    .timeout(Duration.ofSeconds(90)).result();
        }
        return outside(script);
    }

    /** Returns whether {@code user} means {@code nobody} through runuser rather than the user that runs the tests. */
    private static boolean asNobody(User user) {
        return user == User.NON_ROOT && ROOT;
    }

    private static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException("failed to read the owner of /proc/self, the user id of the tests", e);
        }
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("daemonsAndUsers")
    void daemonShowsTreeAndRunsPrograms(Daemon daemon, User user) throws IOException {
        prepare(user);
        makeImage(daemon);

        Run.Result expected = outside("cd tree && " + DESCRIBE_TREE + " && " + RUN_PROGRAMS);
        Run.Result view = inView(user, daemon.mount("mnt", false) + " && diff -r -x lost+found tree mnt"
                + " && cd mnt && " + DESCRIBE_TREE + " && " + RUN_PROGRAMS + " && cd .. && " + daemon.fusermount
                + " -u mnt && ls -A mnt");

        assertEquals(0, expected.exitCode(), expected::toString);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    /**
     * kmview run by {@code nobody} shows the owners that the daemon reports, those stored in the image,
     * as the kernel's FUSE does. The files that root put in the image stay root's.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Daemon.class, names = {"FUSE2FS", "SQUASHFUSE"})
    void nobodySeesOwnersFromImage(Daemon daemon) throws IOException {
        assumeTrue(ROOT, "only root can make an image of files that another user owns");
        prepare(User.NON_ROOT);
        Run.Result chown = Run.outside("chown", "-R", "root:root", tree.toString()).result();
        assertEquals(0, chown.exitCode(), chown::toString);
        Run.Result expected = outside("cd tree && " + DESCRIBE_TREE);
        makeImage(daemon);

        Run.Result view = inView(User.NON_ROOT, daemon.mount("mnt", false) + " && cd mnt && " + DESCRIBE_TREE
                + " && cd .. && " + daemon.fusermount + " -u mnt");

        assertEquals(0, expected.exitCode(), expected::toString);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(expected.stdout(), view.stdout(), view::toString);
    }

    /**
     * As {@code nobody}, fuse2fs with fakeroot takes chown and root-only xattrs, as through the
     * kernel: the calls succeed, stat shows the new owner, and the image has both.
     */
    @Test
    void fakerootTakesChownFromNobody() throws IOException {
        prepare(User.NON_ROOT);
        makeImage(Daemon.FUSE2FS);

        Run.Result view = inView(User.NON_ROOT, Daemon.FUSE2FS.mount("mnt", false)
                + " && chown 0:0 mnt/hello.txt && stat -c '%u:%g' mnt/hello.txt"
                + " && python3 -c 'import os; os.setxattr(\"mnt/hello.txt\", \"security.label\", b\"x\")'"
                + " && fusermount -u mnt");

        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("0:0\n", view.stdout(), view::toString);
        Run.Result image = outside("debugfs -R 'stat /hello.txt' image.ext4 2>/dev/null | grep -o 'User: *[0-9]*' | tr -s ' '"
                + " && debugfs -R 'ea_list /hello.txt' image.ext4 2>/dev/null | grep -o 'security.label'");
        assertEquals("User: 0\nsecurity.label\n", image.stdout(), image::toString);
    }

    static Stream<Arguments> daemonsAndUsers() {
        List<Arguments> cases = new ArrayList<>();
        for (Daemon daemon : Daemon.values()) {
            for (User user : User.values()) {
                cases.add(Arguments.of(daemon, user));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("libfuse2Unmounts")
    void fuse2fsWritesReachImage(String unmount, User user) throws IOException {
        prepare(user);
        makeImage(Daemon.FUSE2FS);

        Run.Result view = inView(user, Daemon.FUSE2FS.mount("mnt", false) + " && cd mnt && " + EDITS
                + " && cd .. && " + unmount + " mnt && ls -A mnt");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("", view.stdout(), "the mount point is empty again after " + unmount);

        Path expected = expectedAfterEdits(user);
        Run.Result fsck = outside("e2fsck -fn image.ext4");
        assertEquals(0, fsck.exitCode(), fsck::toString);
        for (String file : List.of("hello.txt", "sub/moved.txt", "made/inner/x")) {
            Run.Result cat = outside("debugfs -R " + quote("cat /" + file) + " image.ext4");
            assertEquals(0, cat.exitCode(), cat::toString);
            assertEquals(Files.readString(expected.resolve(file)), cat.stdout(), "debugfs cat /" + file);
        }
        for (String dir : List.of("", "made", "sub")) {
            assertEquals(layout(expected.resolve(dir)), debugfsLayout("/" + dir), "debugfs ls -p /" + dir);
        }

        // debugfs rdump copies out the whole image, with modes and times, for a comparison of every file.
        Run.Result dump = outside(user, "mkdir dumped && debugfs -R 'rdump / dumped' image.ext4");
        assertEquals(0, dump.exitCode(), dump::toString);
        assertEquals(outside("cd expected && " + DESCRIBE_CONTENT).stdout(),
                outside("cd dumped && " + DESCRIBE_CONTENT).stdout(), "the image's files after the unmount");
        assertEquals(outside("stat -c %Y expected/hello.txt").stdout(), outside("stat -c %Y dumped/hello.txt").stdout(),
                "the mtime set by touch -d");
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("libfuse2Unmounts")
    void fuseZipWritesReachZip(String unmount, User user) throws IOException {
        prepare(user);
        makeImage(Daemon.FUSE_ZIP);

        Run.Result view = inView(user, Daemon.FUSE_ZIP.mount("mnt", false) + " && cd mnt && " + EDITS
                + " && cd .. && " + unmount + " mnt && ls -A mnt");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("", view.stdout(), "the mount point is empty again after " + unmount);

        Path expected = expectedAfterEdits(user);
        Run.Result test = outside("unzip -tq image.zip");
        assertEquals(0, test.exitCode(), test::toString);
        for (String file : List.of("hello.txt", "sub/moved.txt", "made/inner/x")) {
            Run.Result content = outside("unzip -p image.zip " + quote(file));
            assertEquals(0, content.exitCode(), content::toString);
            assertEquals(Files.readString(expected.resolve(file)), content.stdout(), "unzip -p " + file);
        }

        Run.Result extract = outside(user, "mkdir extracted && cd extracted && unzip -q ../image.zip");
        assertEquals(0, extract.exitCode(), extract::toString);
        assertEquals(outside("cd expected && " + DESCRIBE_CONTENT).stdout(),
                outside("cd extracted && " + DESCRIBE_CONTENT).stdout(), "the zip's files after the unmount");
        assertEquals(outside("stat -c %Y expected/hello.txt").stdout(),
                outside("stat -c %Y extracted/hello.txt").stdout(), "the mtime set by touch -d");
    }

    /** Lists the commands that unmount a libfuse2 daemon's file system, each with the users that may run it. */
    static Stream<Arguments> libfuse2Unmounts() {
        List<Arguments> cases = new ArrayList<>();
        for (User user : User.values()) {
            cases.add(Arguments.of("viewumount", user));
            cases.add(Arguments.of("fusermount -u", user));
        }
        // A non-root user unmounts with fusermount, so umount runs only as root.
        if (ROOT) {
            cases.add(Arguments.of("umount", User.CURRENT));
        }
        return cases.stream();
    }

    /** Applies EDITS outside, as {@code user}, to a copy of the tree, {@code expected}, and returns it. */
    private Path expectedAfterEdits(User user) {
        Run.Result edited = outside(user, "cp -a tree expected && cd expected && " + EDITS);
        assertEquals(0, edited.exitCode(), edited::toString);
        return work.resolve("expected");
    }

    /** Lists {@code dir} as {@link #debugfsLayout} does: name, st_mode in octal, and a regular file's size. */
    private static List<String> layout(Path dir) throws IOException {
        List<String> entries = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) list::iterator) {
                int mode = (Integer) Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                boolean regular = Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS);
                entries.add(entry.getFileName() + " " + Integer.toOctalString(mode)
                        + (regular ? " " + Files.size(entry) : ""));
            }
        }
        return entries.stream().sorted().toList();
    }

    /**
     * Lists the image's directory {@code dir} with {@code debugfs -R 'ls -p DIR'}, whose lines read
     * {@code /INODE/MODE/UID/GID/NAME/SIZE/}, without ., .. and lost+found.
     */
    private List<String> debugfsLayout(String dir) {
        Run.Result list = outside("debugfs -R " + quote("ls -p " + dir) + " image.ext4");
        assertEquals(0, list.exitCode(), list::toString);
        List<String> entries = new ArrayList<>();
        for (String line : list.stdout().lines().filter(line -> line.startsWith("/")).toList()) {
            String[] fields = line.split("/", -1);
            String name = fields[5];
            if (name.equals(".") || name.equals("..") || name.equals("lost+found")) {
                continue;
            }
            int mode = Integer.parseInt(fields[2], 8);
            boolean regular = (mode & 0170000) == 0100000;
            entries.add(name + " " + Integer.toOctalString(mode) + (regular ? " " + fields[6] : ""));
        }
        return entries.stream().sorted().toList();
    }

    /**
     * Runs the daemon in the foreground as a background job of the shell. The unmount must end it
     * with status 0, and the mount point must show the empty directory again. Where the user that starts
     * kmview may use the kernel's FUSE outside, the output of the daemon and the messages of the
     * unmount command are compared with the same run outside. Runs as {@code nobody} are not
     * compared, because the test runs no daemon as {@code nobody} outside the view.
     */
    @ParameterizedTest(name = "{0} ended by {1} as {2}")
    @MethodSource("unmountCases")
    void unmountEndsDaemon(Daemon daemon, String unmount, User user) throws IOException {
        prepare(user);
        makeImage(daemon);
        Path log = work.resolve("daemon.log");
        String script = daemon.mount("mnt", true) + " > daemon.log 2>&1 & pid=$!;"
                + " i=0; while [ ! -e mnt/hello.txt ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done;"
                + " ls -A mnt | grep -vx lost+found;"
                + " %s mnt; echo \"unmount $?\"; wait $pid; echo \"daemon $?\"; ls -A mnt; echo end";

        Run.Result listing = outside("ls -A tree");
        Run.Result view = inView(user, script.formatted(unmount));
        String viewLog = Files.readString(log);

        assertEquals(0, view.exitCode(), view::toString);
        assertEquals(listing.stdout() + "unmount 0\ndaemon 0\nend\n", view.stdout(), view::toString);
        if (asNobody(user)) {
            return;
        }

        assumeTrue(KERNEL_FUSE, "the messages are not compared with a run outside: this user may not open /dev/fuse");
        // viewumount exists only in a view. Outside, root unmounts with umount and other users with fusermount.
        String outsideUnmount = unmount;
        if (unmount.equals("viewumount")) {
            outsideUnmount = ROOT ? "umount" : daemon.fusermount + " -u";
        }
        Run.Result kernel = outside(script.formatted(outsideUnmount));
        String kernelLog = Files.readString(log);
        assumeTrue(kernel.stdout().equals(view.stdout()),
                () -> "the kernel's FUSE failed outside, so the messages have nothing to be compared with:\n" + kernel
                        + "--- daemon output\n" + kernelLog);
        assertEquals(kernelLog, viewLog, "output of " + daemon.program);
        assertEquals(kernel.stderr(), view.stderr(), "messages of " + unmount);
    }

    static Stream<Arguments> unmountCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Daemon daemon : Daemon.values()) {
            for (User user : User.values()) {
                cases.add(Arguments.of(daemon, "viewumount", user));
                cases.add(Arguments.of(daemon, daemon.fusermount + " -u", user));
            }
            // A non-root user unmounts with fusermount, so umount runs only as root.
            if (ROOT) {
                cases.add(Arguments.of(daemon, "umount", User.CURRENT));
            }
        }
        return cases.stream();
    }

    @Test
    void ext4AndSquashfsMountedTogether() throws IOException {
        prepare(User.CURRENT);
        makeImage(Daemon.FUSE2FS);
        makeImage(Daemon.SQUASHFUSE);
        mkdirs(work.resolve("ext4"));
        mkdirs(work.resolve("squashfs"));

        Run.Result expected = outside("cd tree && " + DESCRIBE_TREE);
        assertEquals(0, expected.exitCode(), expected::toString);
        Run.Result view = inView(User.CURRENT, Daemon.FUSE2FS.mount("ext4", true) + " > ext4.log 2>&1 & ext4=$!; "
                + Daemon.SQUASHFUSE.mount("squashfs", true) + " > squashfs.log 2>&1 & squashfs=$!;"
                + " i=0; while { [ ! -e ext4/hello.txt ] || [ ! -e squashfs/hello.txt ]; } && [ $i -lt 200 ];"
                + " do sleep 0.05; i=$((i + 1)); done;"
                + " (cd ext4 && " + DESCRIBE_TREE + ") > ext4.list && (cd squashfs && " + DESCRIBE_TREE + ") > sqfs.list"
                + " && stat -c %d . ext4 squashfs > devices"
                + " && cp squashfs/sub/deeper/notes.md ext4/copied.md"
                + " && viewumount ext4 && fusermount3 -u squashfs && wait $ext4 && wait $squashfs"
                + " && ls -A ext4 squashfs");

        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("ext4:\n\nsquashfs:\n", view.stdout(), "both mount points are empty again");
        assertEquals(expected.stdout(), Files.readString(work.resolve("ext4.list")), "the ext4 mount");
        assertEquals(expected.stdout(), Files.readString(work.resolve("sqfs.list")), "the squashfs mount");
        List<String> devices = Files.readAllLines(work.resolve("devices"));
        assertNotEquals(devices.get(0), devices.get(1), "the ext4 mount shows the device of its parent");
        assertNotEquals(devices.get(0), devices.get(2), "the squashfs mount shows the device of its parent");
        assertNotEquals(devices.get(1), devices.get(2), "the two mounts share a device");

        Run.Result copied = outside("debugfs -R 'cat /copied.md' image.ext4");
        assertEquals(0, copied.exitCode(), copied::toString);
        assertEquals(Files.readString(tree.resolve("sub/deeper/notes.md")), copied.stdout(),
                "the file copied from the squashfs mount into the ext4 image");
    }
}
