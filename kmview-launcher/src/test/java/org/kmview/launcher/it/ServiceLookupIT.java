package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.move;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code kmview -p} finds a service: by name in the distribution's services/ and then in
 * KMVIEW_MODULE_PATH, or by the path of a service directory or jar.
 */
@Timeout(60)
class ServiceLookupIT {

    private static final int USAGE_ERROR = 2;

    @TempDir
    Path tmp;

    Path src;
    Path dst;

    @BeforeEach
    void createMountSource() {
        src = tmp.resolve("src");
        dst = tmp.resolve("dst");
        Run.write(src.resolve("t"), "from SRC\n");
        ViewFsTesting.mkdirs(dst);
    }

    /** Returns an sh script that succeeds only with viewfs loaded: a move mount and a read through it. */
    private String mountAndRead() {
        return move(src, dst) + " && cat " + quote(dst.resolve("t"));
    }

    private static void copy(Path from, Path to) {
        Run.Result run = Run.outside("cp", "-a", from.toString(), to.toString()).result();
        assertEquals(0, run.exitCode(), () -> "cp -a " + from + " " + to + " failed:\n" + run);
    }

    /** Copies the distribution into tmp without its services, and returns its bin/kmview. */
    private String distributionWithoutServices() throws IOException {
        Path home = tmp.resolve("dist");
        copy(Run.home(), home);
        Run.outside("rm", "-r", home.resolve("services/viewfs").toString()).result();
        assertFalse(Files.exists(home.resolve("services/viewfs")), "cannot remove viewfs from the copy");

        // The class data sharing archive, if the build made one, was recorded with the original
        // jar paths. copiedDistributionLoadsService tests a copy with it, so this copy runs without.
        Files.deleteIfExists(home.resolve("lib/kmview.jsa"));
        return home.resolve("bin/kmview").toString();
    }

    private static void assertServiceError(Run.Result run, String named) {
        assertEquals(USAGE_ERROR, run.exitCode(), run::toString);
        assertEquals(1, run.stderr().lines().count(), () -> "stderr must be one line:\n" + run);
        assertTrue(run.stderr().contains(named), () -> "stderr must name " + named + ":\n" + run);
        assertFalse(run.stderr().contains("\tat "), () -> "stderr holds a stack trace:\n" + run);
    }

    @Test
    void nameFoundInDistribution() {
        Run.Result run = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", mountAndRead()).result();

        assertEquals("from SRC\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void copiedDistributionLoadsService() {
        // A copy of the distribution must work as the built one does, so nothing may depend on the build path.
        Path home = tmp.resolve("copied-dist");
        copy(Run.home(), home);

        Run.Result run = Run.outside(home.resolve("bin/kmview").toString(), "-p", "viewfs", "sh", "-c",
                mountAndRead()).result();

        assertEquals("from SRC\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void runsWithoutRuntimeImage() {
        // Where jlink could not link runtime/ (a JDK without jmods), bin/kmview runs lib/ on the JDK.
        Path home = tmp.resolve("no-runtime-dist");
        copy(Run.home(), home);
        Run.outside("rm", "-r", home.resolve("runtime").toString()).result();
        assertFalse(Files.exists(home.resolve("runtime")), "cannot remove runtime/ from the copy");

        Run.Result run = Run.outside(home.resolve("bin/kmview").toString(), "-p", "viewfs", "sh", "-c",
                mountAndRead()).result();

        assertEquals("from SRC\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void nameFoundThroughModulePath() throws IOException {
        String kmview = distributionWithoutServices();
        Path services = tmp.resolve("module-path");
        copy(Run.home().resolve("services"), services);
        Path log = tmp.resolve("debug.log");

        Run.Result missing = Run.outside(kmview, "-p", "viewfs", "true").result();
        Run.Result found = Run.outside(kmview, "-o", log.toString(), "-p", "viewfs", "sh", "-c", mountAndRead())
                .env("KMVIEW_MODULE_PATH", tmp.resolve("no-such-dir") + ":" + services).result();

        assertServiceError(missing, "viewfs");
        assertEquals("from SRC\n", found.stdout(), found::toString);
        assertEquals(0, found.exitCode(), found::toString);
        String text = Files.readString(log);
        assertTrue(text.contains(services.resolve("viewfs").toString()),
                () -> "the log must name where viewfs was loaded from:\n" + text);
    }

    @Test
    void serviceDirectoryByPath() {
        Path copy = tmp.resolve("viewfs-copy");
        copy(Run.home().resolve("services/viewfs"), copy);

        Run.Result run = Run.insideWith(List.of("-p", copy.toString()), "sh", "-c", mountAndRead()).result();

        assertEquals("from SRC\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void serviceJarByPath() throws IOException {
        Path jar;
        try (var files = Files.list(Run.home().resolve("services/viewfs"))) {
            jar = files.filter(file -> file.toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no jar in services/viewfs"));
        }

        Run.Result run = Run.insideWith(List.of("-p", jar.toString()), "sh", "-c", mountAndRead()).result();

        assertEquals("from SRC\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void jarWithoutProviderIsNamed() throws IOException {
        Path jar = tmp.resolve("plain.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("notes/readme.txt"));
            out.write("not a service\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        Path marker = tmp.resolve("ran");

        Run.Result run = Run.insideWith(List.of("-p", jar.toString()), "touch", marker.toString()).result();

        assertServiceError(run, jar.toString());
        assertFalse(Files.exists(marker), "the program must not run");
    }

    @Test
    void missingPathIsNamed() {
        Path jar = tmp.resolve("no-such-service.jar");
        Run.Result run = Run.insideWith(List.of("-p", jar.toString()), "true").result();

        assertServiceError(run, jar.toString());
    }

    @Test
    void sameServiceTwiceIsNamed() {
        Run.Result run = Run.insideWith(List.of("-p", "viewfs", "-p", "viewfs"), "true").result();

        assertServiceError(run, "viewfs");
    }
}
