package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nesting: by default a service finds a mount source through the view, so a source under another
 * virtual mount works; with {@code -x} it looks on the host file system.
 */
@Timeout(60)
class NestingIT {

    @TempDir
    Path tmp;

    private Run.Result mountThroughMount(List<String> options) {
        Run.write(tmp.resolve("inner/g"), "deep\n");
        String script = "viewmount -t viewfs " + tmp.resolve("inner") + " " + tmp.resolve("virtual")
                + " && viewmount -t viewfs " + tmp.resolve("virtual") + " " + tmp.resolve("outer")
                + " && cat " + tmp.resolve("outer/g");
        return Run.insideWith(options, "sh", "-c", script).result();
    }

    @Test
    void sourceUnderMountResolvesInView() {
        Run.Result run = mountThroughMount(List.of("-p", "viewfs"));

        assertEquals("deep\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void noNestingSeesHost() {
        Run.Result run = mountThroughMount(List.of("-x", "-p", "viewfs"));

        assertEquals("", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("viewfs move source " + tmp.resolve("virtual") + " does not exist"),
                run::toString);
        assertEquals(1, run.exitCode(), run::toString);
    }
}
