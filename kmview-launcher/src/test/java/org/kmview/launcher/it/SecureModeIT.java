package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kmview -s}, started by an ordinary user: {@code nobody} through runuser when the tests
 * run as root, else the user that runs them. The view's processes start as root of the view, and
 * the credential calls follow the kernel's rules. A chown by root of the view is recorded and
 * shown. dpkg installs a package into a mincow mount of /, and the real system stays unchanged.
 */
class SecureModeIT {

    private static final boolean ROOT = "0".equals(Run.outside("id", "-u").result().stdout().trim());
    private static final String USER = "nobody";

    /** A world-accessible directory with a copy of the distribution and the tests' files. */
    private static Path shared;
    private Path work;

    @BeforeAll
    static void copyDistribution() throws IOException {
        shared = Run.shareDistribution("kmview-secure-it-");
    }

    @AfterAll
    static void removeCopy() {
        Run.outside("rm", "-rf", shared.toString()).result();
    }

    @BeforeEach
    void makeWorkDirectory() throws IOException {
        work = Files.createTempDirectory(shared, "work-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    /** Runs {@code script} with sh -c as the ordinary user, in a view with {@code options}, from the work directory. */
    private Run.Result inView(List<String> options, String script) {
        List<String> command = new ArrayList<>();
        if (ROOT) {
            command.addAll(List.of("runuser", "-u", USER, "--"));
        }
        command.add(shared.resolve("kmview/bin/kmview").toString());
        command.addAll(options);
        command.addAll(List.of("sh", "-c", script));
        return Run.outside(command.toArray(String[]::new)).in(work).timeout(Duration.ofSeconds(120)).result();
    }

    /** Runs {@code script} with sh -c as the ordinary user, outside any view. */
    private Run.Result outside(String script) {
        List<String> command = new ArrayList<>();
        if (ROOT) {
            command.addAll(List.of("runuser", "-u", USER, "--"));
        }
        command.addAll(List.of("sh", "-c", script));
        return Run.outside(command.toArray(String[]::new)).in(work).result();
    }

    @Test
    void programStartsAsRoot() {
        Run.Result outsideRun = outside("id -u");
        Run.Result run = inView(List.of("-s"), "id -u; id -g; id -G; id -un");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("0\n0\n0\nroot\n", run.stdout(), run::toString);
        assertNotEquals("0\n", outsideRun.stdout(), outsideRun::toString);
    }

    @Test
    void withoutSecureModeIdsAreReal() {
        Run.Result outsideRun = outside("id -u; id -G");
        Run.Result run = inView(List.of(), "id -u; id -G");

        assertEquals(outsideRun.stdout(), run.stdout(), run::toString);
    }

    /** Each line is what the kernel gives a root process for the same calls, which a run as root checks. */
    @Test
    void credentialCallsFollowKernelRules() {
        String script = String.join("\n",
                "import os",
                "print(os.getresuid(), os.getresgid(), os.getgroups())",
                "os.setgroups([7, 3])",
                "print(os.getgroups())",
                "os.setresgid(20, 20, 0)",
                "print(os.getresgid())",
                "os.setresuid(1234, 1234, 0)",
                "print(os.getresuid())",
                "os.seteuid(0)",
                "print(os.geteuid(), os.getuid())",
                "os.setuid(1234)",
                "print(os.getresuid())",
                "for call in (lambda: os.setuid(0), lambda: os.setgroups([0]), lambda: os.seteuid(0)):",
                "    try:",
                "        call()",
                "        print('allowed')",
                "    except PermissionError as error:",
                "        print(error.errno)",
                "os.setreuid(-1, 1234)",
                "print(os.getresuid())");
        Path program = work.resolve("ids.py");
        Run.write(program, script + "\n");

        Run.Result run = inView(List.of("-s"), "python3 " + quote(program));

        String afterStart = "[3, 7]\n(20, 20, 0)\n(1234, 1234, 0)\n0 1234\n(1234, 1234, 1234)\n"
                + "1\n1\n1\n(1234, 1234, 1234)\n";
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("(0, 0, 0) (0, 0, 0) [0]\n" + afterStart, run.stdout(), run::toString);
        if (ROOT) {
            // The same calls by a real root process: the expected lines are the kernel's. Its first
            // line shows the host's supplementary groups of root, so it is left out.
            Run.Result outsideRun = Run.outside("python3", program.toString()).in(work).result();
            assertEquals(0, outsideRun.exitCode(), outsideRun::toString);
            String outsideAfterStart = outsideRun.stdout().substring(outsideRun.stdout().indexOf('\n') + 1);
            assertEquals(afterStart, outsideAfterStart, outsideRun::toString);
        }
    }


    @Test
    void chownByRootIsRecordedAndShown() throws IOException {
        Run.Result outsideRun = outside("touch owned && stat -c %u:%g owned");
        String nativeOwner = outsideRun.stdout();

        Run.Result run = inView(List.of("-s"), "chown 123:456 owned && stat -c %u:%g owned && ls -ln owned | cut -d' ' -f3,4"
                + " && chown :789 owned && stat -c %u:%g owned"
                + " && python3 -c 'import os; os.setuid(1000); os.chown(\"owned\", 0, 0)'; echo status=$?");

        assertEquals("123:456\n123 456\n123:789\nstatus=1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("PermissionError"), run::toString);
        assertEquals(nativeOwner, outside("stat -c %u:%g owned").stdout(), "the file keeps its owner on the host");
    }

    @Test
    void newFilesBelongToCreator() {
        Run.Result run = inView(List.of("-s"), "touch file && mkdir dir && ln -s file link"
                + " && stat -c '%n %u:%g' file dir link"
                + " && viewsu -c \"touch mine && mkdir mydir && stat -c '%n %u:%g' mine mydir\" 4321");

        assertEquals("file 0:0\ndir 0:0\nlink 0:0\nmine 4321:4321\nmydir 4321:4321\n", run.stdout(), run::toString);
        Run.write(work.resolve("unnamed.py"), "import os\nfd = os.open('.', os.O_TMPFILE | os.O_WRONLY)\n"
                + "status = os.fstat(fd)\nprint(status.st_uid, status.st_gid)\n");
        Run.Result unnamed = inView(List.of("-s"), "viewsu -c 'python3 unnamed.py' 4321");
        assertEquals("4321 4321\n", unnamed.stdout(), unnamed::toString);
        assertNotEquals("0:0\n", outside("stat -c %u:%g file").stdout(), "the host shows the user who ran kmview");
    }

    @Test
    void setgidDirectoryGivesGroup() {
        Run.Result run = inView(List.of("-s"), "mkdir d && chown :4321 d && chmod g+s d"
                + " && viewsu -c 'touch d/file && mkdir d/sub && touch plain' 5000 && touch d/rootfile"
                + " && stat -c '%n %u:%g' d/file d/sub d/rootfile plain && stat -c %A d/sub");

        assertEquals("d/file 5000:4321\nd/sub 5000:4321\nd/rootfile 0:4321\nplain 5000:5000\ndrwxr-sr-x\n",
                run.stdout(), run::toString);
    }

    @Test
    void openat2CreationBelongsToCreator() {
        // Python has no openat2 wrapper, so the script makes the raw call (437 on x86_64 and aarch64).
        Run.write(work.resolve("openat2.py"), "import ctypes, os, struct\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "how = ctypes.create_string_buffer(struct.pack('QQQ', os.O_CREAT | os.O_WRONLY, 0o644, 0), 24)\n"
                + "fd = libc.syscall(ctypes.c_long(437), ctypes.c_int(-100), b'made', how, ctypes.c_size_t(24))\n"
                + "if fd < 0:\n    raise OSError(ctypes.get_errno(), 'openat2 failed')\n"
                + "status = os.fstat(fd)\nprint(status.st_uid, status.st_gid)\n");

        Run.Result run = inView(List.of("-s"), "viewsu -c 'python3 openat2.py' 4321 && stat -c %u:%g made");

        assertEquals("4321 4321\n4321:4321\n", run.stdout(), run::toString);
        assertNotEquals("4321:4321\n", outside("stat -c %u:%g made").stdout(), "the host shows the user who ran kmview");
    }

    @Test
    void oldFstatShowsViewOwners() {
        // The fstat system call itself (5 on x86_64), which glibc 2.33 and newer no longer make.
        Run.write(work.resolve("fstat.py"), "import ctypes, os, struct, sys\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "buffer = ctypes.create_string_buffer(144)\n"
                + "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                + "if libc.syscall(ctypes.c_long(5), ctypes.c_int(fd), buffer) != 0:\n"
                + "    raise OSError(ctypes.get_errno(), 'fstat failed')\n"
                + "print(sys.argv[1], *struct.unpack_from('II', buffer.raw, 28))\n");

        Run.Result run = inView(List.of("-s"), "touch rootfile && viewsu -c 'touch mine' 4321"
                + " && python3 fstat.py rootfile && python3 fstat.py mine");

        assertEquals("rootfile 0 0\nmine 4321 4321\n", run.stdout(), run::toString);
    }

    @Test
    void onlyOwnerChangesFile() {
        Run.Result run = inView(List.of("-s"), "touch rootfile && viewsu -c 'touch mine;"
                + " chown 4321 rootfile; echo takeover=$?; chmod 666 rootfile; echo chmod=$?;"
                + " chgrp 4321 mine; echo own-group=$?; chgrp 0 mine; echo other-group=$?;"
                + " chown 0 mine; echo give-away=$?; chmod 600 mine; echo chmod-own=$?' 4321;"
                + " stat -c '%n %u:%g %a' rootfile mine");

        assertEquals("takeover=1\nchmod=1\nown-group=0\nother-group=1\ngive-away=1\nchmod-own=0\n"
                + "rootfile 0:0 644\nmine 4321:4321 600\n", run.stdout(), run::toString);
    }

    /** The rules hold on a FUSE mount too: the daemon never gets the refused changes. */
    @Test
    void fuseFileStaysRootsFile() {
        Run.write(work.resolve("tree/file"), "data\n");
        Run.Result image = outside("mkfs.ext4 -q -d tree disk.img 8M && mkdir mnt");
        assertEquals(0, image.exitCode(), image::toString);

        Run.Result run = inView(List.of("-s", "-p", "umfuse"), "viewmount -t umfuseext4 disk.img mnt"
                + " && viewsu -c 'chown 4321 mnt/file; echo chown=$?; chmod 666 mnt/file; echo chmod=$?' 4321;"
                + " viewumount mnt");

        assertEquals("chown=1\nchmod=1\n", run.stdout(), run::toString);
        Run.Result inode = outside("/sbin/debugfs -R 'stat /file' disk.img 2>/dev/null | grep -o 'Mode: *[0-7]*'");
        assertEquals("Mode:  0644\n", inode.stdout(), "the image must keep the file's mode:\n" + inode);
    }

    /** fchown through a descriptor opened below a cow mount changes the copy, never the lower file. */
    @Test
    void cowFchownLeavesLowerFile() throws IOException {
        assertEquals(0, outside("mkdir lower upper && cp /usr/bin/id lower/program && chmod 4755 lower/program")
                .exitCode());
        String script = "import os\n"
                + "fd = os.open('lower/program', os.O_RDONLY)\n"
                + "os.fchown(fd, 123, 456)\n"
                + "status = os.stat('lower/program')\n"
                + "print(status.st_uid, status.st_gid, oct(status.st_mode & 0o7777))\n";
        Run.write(work.resolve("fchown.py"), script);

        Run.Result run = inView(List.of("-s", "-p", "viewfs"), "viewmount -t viewfs -o cow "
                + quote(work.resolve("upper")) + " " + quote(work.resolve("lower")) + " && python3 fchown.py");

        assertEquals("123 456 0o755\n", run.stdout(), run::toString);
        assertEquals("4755\n", outside("stat -c %a lower/program").stdout(), "the lower file must not change");
    }

    /** Running a FIFO fails with EACCES, as outside, instead of blocking kmview on opening it. */
    @Test
    void fifoExecFailsAtOnce() {
        Run.Result run = inView(List.of("-s", "-p", "viewfs"), "mkfifo pipe && chmod 4755 pipe; ./pipe; echo status=$?");

        assertEquals("status=126\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("Permission denied"), run::toString);
    }

    @Test
    void chownClearsSetIdBits() {
        Run.Result run = inView(List.of("-s"), "cp /usr/bin/id program && chmod u+s,g+s program"
                + " && chown 0:50 program && stat -c '%A %u:%g' program");

        assertEquals("-rwxr-xr-x 0:50\n", run.stdout(), run::toString);
    }

    @Test
    void viewsuDropsRootForGood() {
        Run.Result run = inView(List.of("-s"), "viewsu -c 'id -u; id -g; id -G; viewsu -c true root; echo back=$?;"
                + " touch f; chown 0 f; echo chown=$?' 4321; echo status=$?; viewsu -c 'id -un' root");

        assertEquals("4321\n4321\n4321\nback=1\nchown=1\nstatus=0\nroot\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("viewsu: changing to user root failed: Operation not permitted"),
                run::toString);
        assertTrue(run.stderr().contains("only root may change user"), run::toString);
    }

    @Test
    void setUserIdProgramGetsOwnerIds() {
        Run.Result run = inView(List.of("-s"), "cp /usr/bin/id id-suid && chown 4321:4322 id-suid && chmod 6755 id-suid"
                + " && viewsu -c './id-suid -u; ./id-suid -ru; ./id-suid -g; ./id-suid -rg; id -u' 1234");

        assertEquals("4321\n1234\n4322\n1234\n1234\n", run.stdout(), run::toString);
    }

    @Test
    void viewsuWithoutSecureModeFails() {
        Run.Result run = inView(List.of(), "viewsu -c 'id -u' 4321; echo status=$?");

        assertEquals("status=1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("viewsu: changing to user 4321 failed: Operation not permitted"),
                run::toString);
    }

    @Test
    void chownWithoutSecureModeFails() {
        outside("touch owned");

        Run.Result run = inView(List.of(), "chown 123:456 owned; echo status=$?");

        assertEquals("status=1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("Operation not permitted"), run::toString);
    }

    /**
     * dpkg -i by root of the view, with mincow over / and the usual excepts: the package shows
     * as installed in the view, SRC contains the database and the file, and the real system has
     * neither.
     */
    @Test
    void dpkgInstallsIntoMincowOfRoot() throws IOException {
        Path packageTree = work.resolve("pkg");
        Run.write(packageTree.resolve("DEBIAN/control"), "Package: kmview-secure-test\nVersion: 1.0\n"
                + "Architecture: all\nMaintainer: kmview tests <tests@localhost>\nDescription: kmview test package\n");
        Run.write(packageTree.resolve("usr/share/kmview-secure-test/hello.txt"), "hello from the view\n");
        Run.Result build = outside("dpkg-deb --build pkg test.deb");
        assertEquals(0, build.exitCode(), build::toString);
        Path changes = work.resolve("changes");
        assertEquals(0, outside("mkdir changes").exitCode());
        String mount = "viewmount -t viewfs -o mincow,except=/proc,except=/dev,except=/sys,except=/tmp "
                + quote(changes) + " /";

        Run.Result run = inView(List.of("-s", "-p", "viewfs"), mount + " && dpkg -i test.deb >/dev/null"
                + " && dpkg-query -W -f '${Status}\\n' kmview-secure-test"
                + " && cat /usr/share/kmview-secure-test/hello.txt");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("install ok installed\nhello from the view\n", run.stdout(), run::toString);
        Run.Result real = Run.outside("dpkg-query", "-W", "kmview-secure-test").result();
        assertNotEquals(0, real.exitCode(), "the real system must not know the package:\n" + real);
        assertFalse(Files.exists(Path.of("/usr/share/kmview-secure-test")), "the real /usr must not change");
        String status = Files.readString(changes.resolve("var/lib/dpkg/status"), StandardCharsets.UTF_8);
        assertTrue(status.contains("Package: kmview-secure-test"), "SRC must hold the view's dpkg database");
        assertTrue(Files.exists(changes.resolve("usr/share/kmview-secure-test/hello.txt")));
    }
}
