package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * rc files: run in the view before the program, so the program gets what they mount.
 * /etc/viewosrc is left alone, since these tests must not change the machine.
 */
@Timeout(60)
class RcFilesIT {

    @TempDir
    Path tmp;

    private Path script(String name, String body, boolean executable) {
        Path file = Run.write(tmp.resolve(name), "#!/bin/sh\n" + body + "\n");
        assertTrue(file.toFile().setExecutable(executable), "cannot set the mode of " + file);
        return file;
    }

    @Test
    void rcFileMountsForProgram() {
        Run.write(tmp.resolve("src/f"), "from the rc file\n");
        Path rc = script("rc", "viewmount -t viewfs " + tmp.resolve("src") + " " + tmp.resolve("dst"), true);

        Run.Result run = Run.insideWith(List.of("-p", "viewfs", "-f", rc.toString()), "cat",
                tmp.resolve("dst/f").toString()).result();

        assertEquals("from the rc file\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void failingRcStopsProgram() {
        Path rc = script("rc", "exit 3", true);

        Run.Result run = Run.insideWith(List.of("-f", rc.toString()), "echo", "program ran").result();

        assertEquals("", run.stdout(), run::toString);
        assertEquals("kmview: rc file " + rc + " exited with status 3; the program was not started\n",
                run.stderr(), run::toString);
        assertEquals(125, run.exitCode(), run::toString);
    }

    @Test
    void nonExecutableRcSkipped() {
        Path rc = script("rc", "echo should not run", false);

        Run.Result run = Run.insideWith(List.of("-f", rc.toString()), "echo", "program ran").result();

        assertEquals("program ran\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("rc file " + rc + " is not executable"), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void missingRcIsUsageError() {
        Run.Result run = Run.insideWith(List.of("-f", tmp.resolve("missing").toString()), "true").result();

        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.stderr().lines().count(), run::toString);
    }

    @Test
    void homeRcRunsWithoutOption() {
        Path home = tmp.resolve("home");
        Path marker = tmp.resolve("marker");
        Run.write(home.resolve(".viewosrc"), "#!/bin/sh\necho rc >> " + marker + "\n");
        assertTrue(home.resolve(".viewosrc").toFile().setExecutable(true), "cannot make .viewosrc executable");

        Run.Result run = Run.inside("sh", "-c", "cat " + marker).env("HOME", home.toString()).result();

        assertEquals("rc\n", run.stdout(), run::toString);
    }

    @Test
    void rcOptionReplacesHomeRc() {
        Path home = tmp.resolve("home");
        Run.write(home.resolve(".viewosrc"), "#!/bin/sh\necho home rc\n");
        assertTrue(home.resolve(".viewosrc").toFile().setExecutable(true), "cannot make .viewosrc executable");
        Path rc = script("rc", "echo given rc", true);

        Run.Result run = Run.insideWith(List.of("-f", rc.toString()), "true").env("HOME", home.toString()).result();

        assertEquals("given rc\n", run.stdout(), run::toString);
    }
}
