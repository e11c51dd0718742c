package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no service loaded, shell pipelines, redirections, coreutils, find and tar behave in a view
 * exactly as outside: the same exit status, output and files written.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShellToolsIT {

    /** Pipelines, subshells, here-documents, process substitution and redirections of all kinds. */
    private static final String PIPELINES_SCRIPT = """
            set -u
            seq 1 20 | grep 1 | sort -r | tr '\\n' ' '; echo "<- pipe status: ${PIPESTATUS[*]}"
            (exit 2) | (exit 3) | true; echo "pipe status: ${PIPESTATUS[*]}"
            false | true; echo "without pipefail: $?"
            set -o pipefail; false | true; echo "with pipefail: $?"; set +o pipefail
            ( exit 3 ); echo "subshell: $?"
            { echo to-stdout; echo to-stderr >&2; } > both.txt 2>&1
            echo appended >> both.txt
            echo only-stderr 1>&2
            exec 3> fd3.txt; echo through-fd3 >&3; exec 3>&-
            exec 4< both.txt; read -r first <&4; exec 4<&-; echo "first line: $first"
            cat <<EOF > heredoc.txt
            line with $((6 * 7)) expanded
            EOF
            cat <<'EOF' >> heredoc.txt
            line with $((6 * 7)) kept
            EOF
            diff <(seq 3) <(printf '1\\n2\\n3\\n') && echo "process substitution: same"
            cat < missing-file 2>/dev/null || echo "missing input: $?"
            ls missing-file 2>&1 >/dev/null | wc -l
            echo $(echo command substitution $(echo nested))
            while read -r n; do total=$((${total:-0} + n)); done < <(seq 100); echo "total: $total"
            yes | head -n 3
            cat both.txt fd3.txt heredoc.txt
            exit 5
            """;

    /** Coreutils, findutils' xargs and a few file operations, all on files below the working directory. */
    private static final String COREUTILS_SCRIPT = """
            set -eu
            seq 1 2000 | sort -n -r | head -n 5
            seq 1 2000 | sort | tail -n 3
            seq 1 50 | xargs -n 7 echo | tail -n 3
            printf 'b\\na\\nb\\nc\\na\\nb\\n' | sort | uniq -c
            printf 'one two\\nthree four five\\nsix\\n' > words.txt
            wc -l -w -c < words.txt
            cut -d' ' -f2 words.txt
            tr a-z A-Z < words.txt > upper.txt
            cat upper.txt
            sha256sum words.txt upper.txt
            mkdir -p d/e/f
            cp words.txt d/e/copy.txt
            cp -p words.txt d/e/kept.txt
            mv upper.txt d/e/f/moved.txt
            ln -s ../words.txt d/link
            ln -s d/e/f dir-link
            readlink d/link
            readlink -f d/link | sed "s|^$PWD/|WORKDIR/|"
            readlink -f dir-link/moved.txt | sed "s|^$PWD/|WORKDIR/|"
            stat -c '%n %s %F %a %h' words.txt d d/link d/e/f/moved.txt
            stat -L -c '%n %s %F' d/link
            rm d/e/copy.txt
            rm -r d/e/f/../../e/kept.txt
            ls -1R d
            date -u -d @0 '+%Y-%m-%d %H:%M:%S %Z'
            date -d @0
            date -u -d @1234567890 +%s
            seq -w 8 12 | xargs -I{} touch file-{}.tmp
            ls *.tmp | wc -l
            find . -name '*.tmp' -print0 | sort -z | xargs -0 rm
            ls
            echo done
            """;

    @Test
    void pipelinesAndRedirections(@TempDir Path temp) {
        assertSameAsOutside(temp, PIPELINES_SCRIPT);
    }

    @Test
    void coreutilsOnFiles(@TempDir Path temp) {
        assertSameAsOutside(temp, COREUTILS_SCRIPT);
    }

    @Test
    void findUsrListing() {
        String command = "find /usr -maxdepth 3";
        Run.Result before = Run.outside("sh", "-c", command).result();
        Run.Result inside = Run.inside("sh", "-c", command).result();

        assertEquals(before.exitCode(), inside.exitCode(), "exit status of " + command);
        assertEquals(before.stderr(), inside.stderr(), "stderr of " + command);
        assertTrue(before.stdout().lines().count() > 100, "find printed only:\n" + before.stdout());
        if (!before.stdout().equals(inside.stdout())) {
            // Another program may have changed /usr between the runs, so the listing inside is
            // compared with a second run outside, made after it.
            Run.Result after = Run.outside("sh", "-c", command).result();
            assertEquals(after.stdout().lines().toList(), inside.stdout().lines().toList(),
                    "lines printed by " + command + " inside versus outside");
        }
    }

    @Test
    void tarCreateListExtract(@TempDir Path temp) throws IOException {
        Path source = temp.resolve("source");
        makeTree(source);
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path inside = Files.createDirectories(temp.resolve("inside"));
        String script = """
                set -e
                tar -c -f archive.tar -C ../source tree
                tar -c -z -f archive.tar.gz -C ../source tree
                tar -t -v -f archive.tar
                tar -t -v -z -f archive.tar.gz
                mkdir extracted extracted-gz
                tar -x -f archive.tar -C extracted
                tar -x -z -f archive.tar.gz -C extracted-gz
                tar -c -f - -C ../source tree | tar -t -f - | sort
                """;

        Run.Result expected = Run.outside("bash", "-c", script).in(outside).result();
        Run.Result actual = Run.inside("bash", "-c", script).in(inside).result();

        assertEquals(0, expected.exitCode(), "tar outside:\n" + expected);
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status of tar inside:\n" + actual);
        assertEquals(expected.stdout(), actual.stdout(), "archive listings inside versus outside");
        assertEquals(expected.stderr(), actual.stderr(), "stderr inside versus outside");
        assertEquals(FileTree.sha256(outside.resolve("archive.tar")), FileTree.sha256(inside.resolve("archive.tar")),
                "archive.tar written inside differs from the one written outside");
        assertEquals(FileTree.describe(source, true, path -> true),
                FileTree.describe(inside.resolve("extracted"), true, path -> true),
                "tree extracted inside versus the source tree");
        assertEquals(FileTree.describe(outside.resolve("extracted-gz"), true, path -> true),
                FileTree.describe(inside.resolve("extracted-gz"), true, path -> true),
                "tree extracted from the gzip archive inside versus outside");
        assertEquals(FileTree.describe(outside), FileTree.describe(inside), "all files written inside versus outside");
    }

    /** Runs {@code script} with bash in two fresh directories, outside and inside, and compares everything. */
    private static void assertSameAsOutside(Path temp, String script) {
        Path outside = temp.resolve("outside");
        Path inside = temp.resolve("inside");
        try {
            Files.createDirectories(outside);
            Files.createDirectories(inside);
        } catch (IOException e) {
            throw new AssertionError("failed to create the working directories in " + temp, e);
        }

        Run.Result expected = Run.outside("bash", "-c", script).in(outside).result();
        Run.Result actual = Run.inside("bash", "-c", script).in(inside).result();

        assertFalse(expected.stdout().isBlank(), "the script printed nothing outside:\n" + expected);
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status inside:\n" + actual);
        assertEquals(expected.stdout(), actual.stdout(), "stdout inside versus outside");
        assertEquals(expected.stderr(), actual.stderr(), "stderr inside versus outside");
        assertEquals(FileTree.describe(outside), FileTree.describe(inside), "files written inside versus outside");
    }

    /** Makes a small tree with fixed modification times, odd permissions, a symlink and an empty directory. */
    private static void makeTree(Path source) throws IOException {
        Path tree = source.resolve("tree");
        Run.write(tree.resolve("README"), "a small tree for tar\n");
        Run.write(tree.resolve("sub/data.txt"), "line\n".repeat(5000));
        Run.write(tree.resolve("sub/deeper/empty-file"), "");
        Path script = Run.write(tree.resolve("sub/run.sh"), "#!/bin/sh\necho run\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-x---"));
        Files.createDirectories(tree.resolve("empty-dir"));
        Files.createSymbolicLink(tree.resolve("link-to-data"), Path.of("sub/data.txt"));
        byte[] binary = new byte[70000];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + i / 256);
        }
        Files.write(tree.resolve("sub/binary.bin"), binary);

        // Setting a time changes no other entry's time, so the order does not matter.
        FileTime time = FileTime.from(Instant.parse("2021-03-04T05:06:07Z"));
        List<Path> entries;
        try (var walk = Files.walk(tree)) {
            entries = walk.toList();
        }
        for (Path entry : entries) {
            if (!Files.isSymbolicLink(entry)) {
                Files.setLastModifiedTime(entry, time);
            }
        }
    }
}
