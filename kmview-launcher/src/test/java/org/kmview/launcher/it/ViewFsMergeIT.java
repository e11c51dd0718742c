package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.inView;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t viewfs -o merge SRC DST}: SRC over what DST showed, listings merged, SRC
 * read-only; and the {@code ro} and {@code except=} options of every viewfs mode.
 */
@Timeout(60)
class ViewFsMergeIT {

    @TempDir
    Path tmp;
    Path src;
    Path dst;

    @BeforeEach
    void createTrees() throws IOException {
        src = tmp.resolve("src");
        dst = tmp.resolve("dst");
        mkdirs(src.resolve("both"));
        mkdirs(src.resolve("keep"));
        mkdirs(dst.resolve("both"));
        mkdirs(dst.resolve("keep"));
        Files.writeString(src.resolve("shared"), "from src\n");
        Files.writeString(dst.resolve("shared"), "from dst\n");
        Files.writeString(src.resolve("only-src"), "src\n");
        Files.writeString(dst.resolve("only-dst"), "dst\n");
        Files.writeString(src.resolve("both/in-src"), "1\n");
        Files.writeString(dst.resolve("both/in-dst"), "2\n");
        Files.writeString(src.resolve("keep/k"), "src keep\n");
        Files.writeString(dst.resolve("keep/k"), "dst keep\n");
    }

    private String merge(String options) {
        return "viewmount -t viewfs -o merge" + options + " " + quote(src) + " " + quote(dst);
    }

    @Test
    void mergedTreeShowsBothLayers() {
        Run.Result view = inView(tmp, merge(""), "ls -A dst dst/both && cat dst/shared dst/only-dst dst/keep/k");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("dst:\nboth\nkeep\nonly-dst\nonly-src\nshared\n\ndst/both:\nin-dst\nin-src\n"
                + "from src\ndst\nsrc keep\n", view.stdout(), view::toString);
    }

    @Test
    void writesReachLowerLayerAndSourceStaysUnchanged() throws IOException {
        Run.Result view = inView(tmp, merge(""), "echo new > dst/created && echo more >> dst/only-dst"
                + " && mkdir dst/both/made && { echo x > dst/shared; rm dst/only-src; } 2>&1 | grep -c 'Read-only file system'");
        assertEquals("2\n", view.stdout(), view::toString);
        assertEquals("new\n", Files.readString(dst.resolve("created")));
        assertEquals("dst\nmore\n", Files.readString(dst.resolve("only-dst")));
        assertTrue(Files.isDirectory(dst.resolve("both/made")));
        assertEquals("from src\n", Files.readString(src.resolve("shared")));
        assertTrue(Files.exists(src.resolve("only-src")));
        assertEquals(List.of("both", "keep", "only-src", "shared"), names(src));
    }

    @Test
    void exceptKeepsWhatDstShowed() {
        Run.Result view = inView(tmp, merge(",except=keep"), "cat dst/keep/k dst/shared");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("dst keep\nfrom src\n", view.stdout(), view::toString);
    }

    @Test
    void readOnlyMoveRefusesChanges() throws IOException {
        String mount = "viewmount -t viewfs -o move,ro " + quote(src) + " " + quote(dst);
        Run.Result view = inView(tmp, mount, "cat dst/only-src && { echo x > dst/new; touch dst/shared; rm dst/only-src;"
                + " mkdir dst/d; chmod 600 dst/shared; } 2>&1 | grep -c 'Read-only file system'");
        assertEquals("src\n5\n", view.stdout(), view::toString);
        assertEquals(List.of("both", "keep", "only-src", "shared"), names(src));
    }

    @Test
    void mergeOverEtcListsEachNameOnce() throws IOException {
        // A directory of fixtures merged over /etc: programs see the merged /etc.
        Path fixtures = tmp.resolve("etc-fixtures");
        mkdirs(fixtures);
        Files.writeString(fixtures.resolve("kmview-fixture.conf"), "fixture=1\n");
        Files.writeString(fixtures.resolve("hostname"), "merged-host\n");
        String mount = "viewmount -t viewfs -o merge " + quote(fixtures) + " /etc";
        String script = "cat /etc/kmview-fixture.conf /etc/hostname && ls -la /etc | awk 'NR > 1 {print $NF}' | sort"
                + " | uniq -d | wc -l && ls -A /etc | wc -l && ls -A /etc | grep -c -x -e kmview-fixture.conf -e passwd";
        Run.Result view = inView(tmp, mount, script);
        int outside = Integer.parseInt(Run.outside("sh", "-c", "ls -A /etc | wc -l").result().stdout().trim());
        int added = Files.exists(Path.of("/etc/hostname")) ? 1 : 2;
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("fixture=1\nmerged-host\n0\n" + (outside + added) + "\n2\n", view.stdout(), view::toString);
    }

    private static List<String> names(Path directory) throws IOException {
        try (var stream = Files.list(directory)) {
            return stream.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
