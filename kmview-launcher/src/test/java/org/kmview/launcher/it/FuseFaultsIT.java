package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * FUSE daemons that fail, and what the view returns: timeouts and protocol faults give EIO, a
 * killed daemon ENOTCONN, and what a process wrote reaches the daemon at close and fsync, before
 * the daemon ends. Also the viewmount short forms that start fuse2fs and squashfuse. The faulty
 * daemon is the C fixture bad_fuse_daemon; the others are Debian's fuse2fs and squashfuse.
 */
@Timeout(120)
class FuseFaultsIT {

    @TempDir
    Path tmp;

    @BeforeEach
    void createTree() throws IOException {
        mkdirs(tmp.resolve("tree/sub"));
        mkdirs(tmp.resolve("mnt"));
        mkdirs(tmp.resolve("sq"));
        Files.writeString(tmp.resolve("tree/hello.txt"), "hello, fuse\n");
        Files.writeString(tmp.resolve("tree/sub/numbers"), "1\n2\n3\n".repeat(2000));
        Run.Result images = Run.outside("sh", "-c", "mkfs.ext4 -q -d tree disk.img 8M && mksquashfs tree tree.sqfs "
                + "-quiet -noappend").in(tmp).result();
        assertEquals(0, images.exitCode(), images.toString());
    }

    private Run.Result inView(String service, String script) {
        return Run.insideWith(List.of("-p", service), "bash", "-c", script).in(tmp)
                .timeout(Duration.ofSeconds(90)).result();
    }

    private Run.Result outside(String script) {
        return Run.outside("sh", "-c", script).in(tmp).result();
    }

    /** Starts the fixture daemon in MODE on mnt and waits until it has mounted. */
    private static String badDaemon(String mode) {
        return Run.fixture("bad_fuse_daemon") + " " + mode + " mnt > daemon.out & daemon=$!;"
                + " until grep -q mounted daemon.out 2>/dev/null; do sleep 0.05; done; ";
    }

    /**
     * The checks after a fault. ls writes its errors to a file that is printed last: on the shared
     * stderr, kmview's warnings could land between the pieces that ls writes one message in.
     */
    private static final String AFTER_FAULT = "ls mnt 2>>ls.err; echo ls=$?; ls mnt/anything 2>>ls.err; echo again=$?;"
            + " echo view alive; viewumount mnt; echo umount=$?; wait $daemon; echo daemon=$?; cat daemon.out;"
            + " cat ls.err";

    @Test
    void silentDaemonTimesOutWithEio() {
        Run.Result run = inView("umfuse,timeout=2", badDaemon("silent") + AFTER_FAULT);

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().contains("ls=2\n"), run.toString());
        assertTrue(run.stdout().contains("ls: cannot access 'mnt': Input/output error"), run.toString());
        assertTrue(run.stdout().contains("again=2\nview alive\numount=0\n"), run.toString());
        assertTrue(run.stderr().contains("bad_fuse_daemon (pid"), run.toString());
        assertTrue(run.stderr().contains("did not reply to GETATTR within 2 s"), run.toString());
        assertTrue(run.stdout().contains("daemon=0\nmounted\nwrite: OK\nread: No such device\n"), run.toString());
    }

    @Test
    void malformedReplyIsEinval() {
        Run.Result run = inView("umfuse,timeout=2", badDaemon("malformed") + AFTER_FAULT);

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().contains("mounted\nwrite: OK\nwrite: Invalid argument\n"), run.toString());
        assertTrue(run.stderr().contains("wrote a malformed reply"), run.toString());
        assertTrue(run.stdout().contains("ls: cannot access 'mnt': Input/output error"), run.toString());
        assertTrue(run.stdout().contains("umount=0\n"), run.toString());
        assertTrue(run.stdout().contains("read: No such device\n"), run.toString());
    }

    @Test
    void replyToUnsentRequestIsEnoent() {
        Run.Result run = inView("umfuse,timeout=2", badDaemon("stranger") + AFTER_FAULT);

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().contains("mounted\nwrite: OK\nwrite: No such file or directory\n"), run.toString());
        assertTrue(run.stderr().contains("which is not waiting"), run.toString());
        assertTrue(run.stdout().contains("ls: cannot access 'mnt': Input/output error"), run.toString());
        assertTrue(run.stdout().contains("read: No such device\n"), run.toString());
    }

    @Test
    void killedDaemonLeavesEnotconn() {
        Run.Result run = inView("umfuse", "fuse2fs -f disk.img mnt 2>/dev/null & daemon=$!;"
                + " until [ -e mnt/hello.txt ]; do sleep 0.05; done; cat mnt/hello.txt;"
                + " kill -KILL $daemon; wait $daemon; echo daemon=$?;"
                + " ls mnt; echo ls=$?; cat mnt/hello.txt; echo cat=$?;"
                + " viewumount mnt; echo umount=$?; ls -A mnt | wc -l");

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().startsWith("hello, fuse\ndaemon=137\nls=2\ncat=1\numount=0\n0\n"), run.toString());
        assertTrue(run.stderr().contains("ls: cannot access 'mnt': Transport endpoint is not connected"),
                run.toString());
        assertTrue(run.stderr().contains("cat: mnt/hello.txt: Transport endpoint is not connected"), run.toString());
    }

    @Test
    void closeSendsFileBeforeDaemonEnds() {
        // SIGTERM makes libfuse unmount by itself; what reached fuse2fs at close is in the image.
        Run.Result run = inView("umfuse", "fuse2fs -f -o fakeroot disk.img mnt 2>/dev/null & daemon=$!;"
                + " until [ -e mnt/hello.txt ]; do sleep 0.05; done;"
                + " mkdir -p mnt/new/deeper; echo written at close > mnt/new/deeper/note;"
                + " cp tree/sub/numbers mnt/copied; kill -TERM $daemon; wait $daemon; echo daemon=$?");

        assertEquals(0, run.exitCode(), run.toString());
        // fuse2fs prints its notes (such as the journal it does not write) on stdout.
        assertTrue(run.stdout().endsWith("daemon=0\n"), run.toString());
        Run.Result image = outside("e2fsck -fn disk.img >/dev/null && debugfs -R 'cat /new/deeper/note' disk.img"
                + " 2>/dev/null && debugfs -R 'cat /copied' disk.img 2>/dev/null | cmp - tree/sub/numbers && echo same");
        assertEquals("written at close\nsame\n", image.stdout(), image.toString());
    }

    @Test
    void fsyncSendsFileBeforeKill() {
        Run.Result run = inView("umfuse", "fuse2fs -f -o fakeroot disk.img mnt 2>/dev/null & daemon=$!;"
                + " until [ -e mnt/hello.txt ]; do sleep 0.05; done;"
                + " python3 -c 'import os; f = open(\"mnt/synced\", \"w\"); f.write(\"synced\\n\"); f.flush();"
                + " os.fsync(f.fileno()); os.kill(" + "'$daemon'" + ", 9)'; wait $daemon; echo daemon=$?");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("daemon=137\n", run.stdout(), run.toString());
        Run.Result image = outside("debugfs -R 'cat /synced' disk.img 2>/dev/null");
        assertEquals("synced\n", image.stdout(), image.toString());
    }

    @Test
    void shortFormsStartDaemons() {
        Run.Result run = inView("umfuse", "viewmount -t umfuseext4 -o rw disk.img mnt; echo ext4=$?;"
                + " viewmount -t umfusesquashfs tree.sqfs sq; echo squashfs=$?;"
                + " diff -r --exclude=lost+found tree mnt && diff -r tree sq && echo same;"
                + " echo added > mnt/added; viewumount mnt; echo umount=$?; viewumount sq; echo umount=$?");

        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("ext4=0\nsquashfs=0\nsame\numount=0\numount=0\n", run.stdout(), run.toString());
        Run.Result image = outside("e2fsck -fn disk.img >/dev/null && debugfs -R 'cat /added' disk.img 2>/dev/null");
        assertEquals("added\n", image.stdout(), image.toString());
    }

    @Test
    void shortFormNeedsUmfuse() {
        Run.Result run = Run.insideWith(List.of("-p", "viewfs"), "viewmount", "-t", "umfuseext4", "disk.img", "mnt")
                .in(tmp).result();

        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.stderr().contains("um_add_service umfuse"), run.toString());
    }

    @Test
    void shortFormReportsDaemonFailure() throws IOException {
        Files.writeString(tmp.resolve("not-an-image"), "plain text\n");

        Run.Result run = inView("umfuse", "viewmount -t umfuseext4 not-an-image mnt; echo status=$?");

        assertTrue(run.stdout().endsWith("status=1\n"), run.toString());
        assertTrue(run.stderr().contains("viewmount: fuse2fs could not mount not-an-image on mnt"), run.toString());
    }

    @Test
    void readOnlyDaemonsRefuseChanges() {
        // The errors are the daemons' own; the kernel's FUSE returns the same ones (checked as root
        // with /dev/fuse): fuse2fs -o ro fails chmod with EIO.
        Run.Result run = inView("umfuse", "squashfuse tree.sqfs sq; fuse2fs -o fakeroot,ro disk.img mnt 2>/dev/null;"
                + " echo x > sq/new; mkdir sq/dir; rm sq/hello.txt; echo x > mnt/new; mkdir mnt/dir; chmod 600 mnt/hello.txt;"
                + " ls sq mnt; viewumount sq; viewumount mnt");

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stderr().contains("sq/new: Read-only file system"), run.toString());
        assertTrue(run.stderr().contains("cannot create directory 'sq/dir': Function not implemented")
                || run.stderr().contains("cannot create directory \u2018sq/dir\u2019: Function not implemented"), run.toString());
        assertTrue(run.stderr().contains("Function not implemented"), run.toString());
        assertTrue(run.stderr().contains("mnt/new: Read-only file system"), run.toString());
        assertTrue(run.stderr().contains("changing permissions of 'mnt/hello.txt': Input/output error")
                || run.stderr().contains("changing permissions of \u2018mnt/hello.txt\u2019: Input/output error"),
                run.toString());
        assertEquals("mnt:\nhello.txt\nlost+found\nsub\n\nsq:\nhello.txt\nsub\n", run.stdout(), run.toString());
        assertTrue(!run.stderr().contains("write-back"), run.toString());
    }

    @Test
    void terminatedDaemonKeepsChangesByPath() {
        // libfuse unmounts by itself at SIGTERM, so only what reached fuse2fs before is in the image.
        Run.Result run = inView("umfuse", "fuse2fs -f -o fakeroot disk.img mnt 2>/dev/null & daemon=$!;"
                + " until [ -e mnt/hello.txt ]; do sleep 0.05; done;"
                + " mkdir -p mnt/made/deeper; mv mnt/sub mnt/moved; rm mnt/hello.txt; ln -s moved/numbers mnt/link;"
                + " kill -TERM $daemon; wait $daemon; echo daemon=$?");

        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.stdout().endsWith("daemon=0\n"), run.toString());
        Run.Result image = outside("e2fsck -fn disk.img >/dev/null && debugfs -R 'ls /' disk.img 2>/dev/null"
                + " | tr -s ' ' '\\n' | grep -v '^[0-9(]' | grep -v '^$' | sort | tr '\\n' ' ';"
                + " debugfs -R 'stat /link' disk.img 2>/dev/null | grep -o 'Fast link dest: .*'");
        assertEquals(". .. link lost+found made moved Fast link dest: \"moved/numbers\"\n", image.stdout(), image.toString());
    }
}
