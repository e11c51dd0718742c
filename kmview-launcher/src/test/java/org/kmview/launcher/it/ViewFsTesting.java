package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Helpers for the viewfs integration tests, whose scripts run in {@code kmview -p viewfs sh -c}
 * after its viewmount commands, or natively in {@code sh -c} for the comparison run.
 */
final class ViewFsTesting {

    /** Exit status of a view script whose viewmount commands failed, so the test can report that. */
    static final int MOUNT_FAILED = 97;

    private ViewFsTesting() {
    }

    /** Quotes {@code word} for sh, so temp dir names need no care. */
    static String quote(Object word) {
        return "'" + word.toString().replace("'", "'\\''") + "'";
    }

    /** Returns the sh command line that runs the pathprobe fixture with {@code args}. */
    static String probe(Object... args) {
        StringBuilder line = new StringBuilder(quote(Run.fixture("pathprobe")));
        for (Object arg : args) {
            line.append(' ').append(quote(arg));
        }
        return line.toString();
    }

    static String move(Path source, Path target) {
        return "viewmount -t viewfs -o move " + quote(source) + " " + quote(target);
    }

    /** A move mount spelled without {@code -o}, which must mean move. */
    static String moveByDefault(Path source, Path target) {
        return "viewmount -t viewfs " + quote(source) + " " + quote(target);
    }

    static String hide(Path target) {
        return "viewmount -t viewfs -o hide none " + quote(target);
    }

    /**
     * Runs {@code body} in {@code kmview -p viewfs sh -c} from {@code cwd}, after the
     * {@code mounts} commands succeeded. Fails the test if one of them failed.
     */
    static Run.Result inView(Path cwd, List<String> mounts, String body) {
        // The mounts share the body's first line, so sh reports the body's own line numbers.
        String script = mounts.isEmpty() ? body
                : String.join(" && ", mounts) + " || exit " + MOUNT_FAILED + "; " + body;
        Run.Result result = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", script).in(cwd).result();
        assertNotEquals(MOUNT_FAILED, result.exitCode(), () -> "viewmount failed in the view:\n" + result);
        return result;
    }

    static Run.Result inView(Path cwd, String mount, String body) {
        return inView(cwd, List.of(mount), body);
    }

    /** Runs {@code body} natively in {@code sh -c} from {@code cwd}. */
    static Run.Result outside(Path cwd, String body) {
        return Run.outside("sh", "-c", body).in(cwd).result();
    }

    /**
     * Asserts that the view run did what the native run did, once each occurrence of
     * {@code nativeSpelling} in the native output is spelled {@code viewSpelling}.
     */
    static void assertSameRun(Run.Result nativeRun, String nativeSpelling, String viewSpelling,
                              Run.Result viewRun) {
        String nativeStdout = nativeRun.stdout().replace(nativeSpelling, viewSpelling);
        String nativeStderr = nativeRun.stderr().replace(nativeSpelling, viewSpelling);
        String context = "\n=== native run, " + nativeSpelling + " spelled " + viewSpelling + "\n"
                + new Run.Result(nativeRun.exitCode(), nativeStdout, nativeStderr)
                + "=== view run\n" + viewRun;
        assertEquals(nativeStdout, viewRun.stdout(), () -> "stdout differs" + context);
        assertEquals(nativeStderr, viewRun.stderr(), () -> "stderr differs" + context);
        assertEquals(nativeRun.exitCode(), viewRun.exitCode(), () -> "exit status differs" + context);
    }

    /**
     * Returns the tree under {@code root} as sorted lines "PATH TYPE DETAIL": a file's content,
     * a symlink's target with {@code nativeSpelling} spelled {@code viewSpelling}, or nothing for a
     * directory. Symlinks are not followed.
     */
    static List<String> snapshot(Path root, String nativeSpelling, String viewSpelling) {
        TreeMap<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                String name = root.relativize(path).toString();
                entries.put(name, describe(path).replace(nativeSpelling, viewSpelling));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        List<String> lines = new ArrayList<>();
        entries.forEach((name, detail) -> lines.add(name + " " + detail));
        return lines;
    }

    private static String describe(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return "symlink " + Files.readSymbolicLink(path);
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return "directory " + PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        }
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return "file " + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) + " "
                    + new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
        }
        return "other";
    }

    /** Copies {@code program} (for example /bin/readlink) to {@code target} as an executable. */
    static void copyProgram(String program, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(program), target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + program + " to " + target, e);
        }
    }

    static void symlink(Path link, String target) {
        try {
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create symlink " + link, e);
        }
    }

    static void mkdirs(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
    }
}
