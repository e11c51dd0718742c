package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the steps of docs/writing-a-service.md: build the example service against kmview-spi
 * alone, load it through KMVIEW_MODULE_PATH and by path, and use its file system type.
 */
@Timeout(120)
class ExampleServiceIT {

    @TempDir
    Path tmp;

    private static Path example() {
        return Run.home().resolve("../../../examples/scratch-service").normalize();
    }

    private Path build() {
        Path copy = tmp.resolve("scratch-service");
        Run.Result copied = Run.outside("cp", "-r", example().toString(), copy.toString()).result();
        assertEquals(0, copied.exitCode(), copied::toString);
        Run.Result built = Run.outside("sh", copy.resolve("build.sh").toString(), Run.home().toString()).result();
        assertEquals(0, built.exitCode(), built::toString);
        Path jar = copy.resolve("dist/scratch.jar");
        assertTrue(Files.isRegularFile(jar), built::toString);
        return jar;
    }

    private String scratchScript() {
        Path work = tmp.resolve("work");
        return "viewmount -t scratch none " + work + " && echo data > " + work + "/f && cat " + work + "/f"
                + " && viewumount " + work + " && ls " + work;
    }

    @Test
    void loadsFromModulePath() {
        Path jar = build();

        Run.Result run = Run.insideWith(List.of("-p", "scratch"), "sh", "-c", scratchScript())
                .env("KMVIEW_MODULE_PATH", jar.getParent().toString()).result();

        assertEquals("data\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("No such file or directory"), run::toString);
        assertFalse(Files.exists(tmp.resolve("work")), "the mount point must not be created on the host");
    }

    @Test
    void loadsByPath() {
        Path jar = build();

        Run.Result run = Run.insideWith(List.of("-p", jar.toString()), "sh", "-c", scratchScript()).result();

        assertEquals("data\n", run.stdout(), run::toString);
    }

    @Test
    void rejectedMountGetsNoLoadHint() {
        Path jar = build();
        Path work = tmp.resolve("work");

        Run.Result run = Run.insideWith(List.of("-p", jar.toString()), "viewmount", "-t", "scratch", "-o", "bogus",
                "none", work.toString()).result();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("scratch takes no mount options"), run::toString);
        assertFalse(run.stderr().contains("no service of this view serves"), run::toString);
    }

    @Test
    void rejectsServiceOptions() {
        Path jar = build();

        Run.Result run = Run.insideWith(List.of("-p", jar + ",size=1"), "true").result();

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("scratch takes no service options"), run::toString);
    }

    @Test
    void guideStepsInRunningView() {
        // The commands of the guide's "Load it" section, typed into the view's shell.
        Path jar = build();
        Path work = tmp.resolve("work");
        String steps = String.join("\n", "um_add_service scratch", "um_ls_service",
                "viewmount -t scratch none " + work, "echo data > " + work + "/f; cat " + work + "/f",
                "viewumount " + work, "um_del_service scratch", "um_ls_service", "");

        Run.Result run = Run.inside("bash").input(steps).env("KMVIEW_MODULE_PATH", jar.getParent().toString()).result();

        assertEquals("scratch: private scratch directories, deleted at unmount (mount -t scratch none DIR)\ndata\n",
                run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        assertFalse(Files.exists(work), "the mount point must not be created on the host");
    }
}
