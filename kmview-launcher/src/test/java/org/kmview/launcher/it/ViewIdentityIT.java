package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The view's identity: {@code kmview -V}, {@code viewname} and {@code vuname}, inside a view and
 * outside one.
 */
@Timeout(60)
class ViewIdentityIT {

    private static String bin(String command) {
        return Run.home().resolve("bin").resolve(command).toString();
    }

    private static String hostname() {
        return Run.outside("uname", "-n").result().stdout().strip();
    }

    @Test
    void unnamedViewPrintsHostAndIds() {
        Run.Result run = Run.inside("sh", "-c", "viewname; vuname -U").result();

        String[] lines = run.stdout().split("\n");
        assertEquals(2, lines.length, run::toString);
        assertEquals(hostname() + "[" + lines[1] + ":0]", lines[0], run::toString);
        assertTrue(Integer.parseInt(lines[1]) > 1, run::toString);
    }

    @Test
    void viewNameOptionIsShown() {
        Run.Result run = Run.insideWith(List.of("-V", "lab"), "sh", "-c", "viewname; vuname -N").result();

        assertEquals("lab\nlab\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void viewnameSetsName() {
        Run.Result run = Run.inside("sh", "-c", "viewname -q; viewname build-42 && viewname && viewname -p").result();

        assertEquals("build-42\nbuild-42", run.stdout(), run::toString);
    }

    @Test
    void vunameAllAddsViewFields() {
        String uname = Run.outside("uname", "-a").result().stdout().strip();
        Run.Result run = Run.insideWith(List.of("-V", "v1"), "sh", "-c", "vuname -a; vuname -x -a; vuname").result();

        String[] lines = run.stdout().split("\n");
        assertEquals(3, lines.length, run::toString);
        String[] viewFields = lines[1].split(" ");
        assertEquals(uname + " " + lines[1], lines[0], run::toString);
        assertEquals("0", viewFields[1], run::toString);
        assertEquals("v1", viewFields[2], run::toString);
        assertEquals(Run.outside("uname").result().stdout().strip(), lines[2], run::toString);
    }

    @Test
    void outsideViewBehavesAsUname() {
        assertEquals(Run.outside("uname", "-a").result().stdout(), Run.outside(bin("vuname"), "-a").result().stdout());
        assertEquals(Run.outside("uname", "-srm").result().stdout(),
                Run.outside(bin("vuname"), "-s", "-r", "-m").result().stdout());
    }

    @Test
    void outsideViewViewFieldsFail() {
        Run.Result loud = Run.outside(bin("vuname"), "-U").result();
        Run.Result quiet = Run.outside(bin("vuname"), "-q", "-N").result();

        assertEquals(1, loud.exitCode(), loud::toString);
        assertEquals("vuname: not inside a kmview view\n", loud.stderr(), loud::toString);
        assertEquals(1, quiet.exitCode(), quiet::toString);
        assertEquals("", quiet.stderr(), quiet::toString);
    }

    @Test
    void outsideViewViewname() {
        Run.Result plain = Run.outside(bin("viewname")).result();
        Run.Result prompt = Run.outside(bin("viewname"), "-p").result();

        assertEquals(1, plain.exitCode(), plain::toString);
        assertEquals("viewname: not inside a kmview view\n", plain.stderr(), plain::toString);
        assertEquals(0, prompt.exitCode(), prompt::toString);
        assertEquals(hostname(), prompt.stdout(), prompt::toString);
    }
}
