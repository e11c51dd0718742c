package org.kmview.viewfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The whiteouts and opaque directories of a copy-on-write mount, kept in SRC so they last
 * across mounts: {@code SRC/.kmview-cow/whiteouts} lists the paths (relative to the mount point)
 * whose entries below are deleted in the view, and {@code SRC/.kmview-cow/opaque} the
 * names created again over a whiteout, whose lower contents no longer show. Each file contains one
 * path per line, with backslash and newline escaped as {@code \\} and {@code \n}, and is replaced
 * whole (write, then rename) on every change.
 */
final class WhiteoutStore {

    /** The name of the store's directory in SRC; the view never shows it. */
    static final String DIRECTORY = ".kmview-cow";

    private final Path directory;
    private final java.util.NavigableSet<String> whiteouts;
    private final Set<String> opaque;

    private WhiteoutStore(Path directory, java.util.NavigableSet<String> whiteouts, Set<String> opaque) {
        this.directory = directory;
        this.whiteouts = whiteouts;
        this.opaque = opaque;
    }

    /** Loads the store of the upper tree {@code upperRoot}, or an empty one if it has none yet. */
    static WhiteoutStore load(Path upperRoot) throws IOException {
        Path directory = upperRoot.resolve(DIRECTORY);
        return new WhiteoutStore(directory, read(directory.resolve("whiteouts")), read(directory.resolve("opaque")));
    }

    boolean isWhiteout(String relative) {
        return whiteouts.contains(relative);
    }

    boolean isOpaque(String relative) {
        return opaque.contains(relative);
    }

    /** Records a whiteout at {@code relative}. */
    void addWhiteout(String relative) throws IOException {
        if (whiteouts.add(relative)) {
            write("whiteouts", whiteouts);
        }
    }

    /** Drops the whiteout at {@code relative}; returns whether there was one. */
    boolean removeWhiteout(String relative) throws IOException {
        if (!whiteouts.remove(relative)) {
            return false;
        }
        write("whiteouts", whiteouts);
        return true;
    }

    /** Marks the directory at {@code relative} opaque: nothing below it shows through. */
    void addOpaque(String relative) throws IOException {
        if (opaque.add(relative)) {
            write("opaque", opaque);
        }
    }

    private void write(String name, Set<String> paths) throws IOException {
        Files.createDirectories(directory);
        StringBuilder text = new StringBuilder();
        for (String path : paths) {
            text.append(path.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        }
        Path temporary = directory.resolve(name + ".new");
        Files.writeString(temporary, text, StandardCharsets.ISO_8859_1);
        Files.move(temporary, directory.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static java.util.NavigableSet<String> read(Path file) throws IOException {
        java.util.NavigableSet<String> paths = new TreeSet<>();
        if (!Files.exists(file)) {
            return paths;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
            if (!line.isEmpty()) {
                paths.add(unescape(line));
            }
        }
        return paths;
    }

    private static String unescape(String line) {
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                char next = line.charAt(++i);
                path.append(next == 'n' ? '\n' : next);
            } else {
                path.append(c);
            }
        }
        return path.toString();
    }

    /** Returns whether a whiteout lies directly inside the directory {@code relativeDir}. */
    boolean hasWhiteoutsIn(String relativeDir) {
        String prefix = relativeDir.isEmpty() ? "" : relativeDir + "/";
        for (String path : whiteouts.tailSet(prefix)) {
            if (!path.startsWith(prefix)) {
                return false;
            }
            if (path.indexOf('/', prefix.length()) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Returns the whiteouts directly inside the directory {@code relativeDir}, for tests and listings. */
    List<String> whiteoutsIn(String relativeDir) {
        List<String> names = new ArrayList<>();
        String prefix = relativeDir.isEmpty() ? "" : relativeDir + "/";
        for (String path : whiteouts) {
            if (path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0) {
                names.add(path.substring(prefix.length()));
            }
        }
        return names;
    }
}
