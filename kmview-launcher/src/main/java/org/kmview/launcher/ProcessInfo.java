package org.kmview.launcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * kmview's own arguments and environment as raw bytes, from /proc/self. The JVM decodes
 * {@code main}'s arguments with the locale's charset, which loses bytes that are not valid in
 * it (every non-ASCII byte under the C locale); the program must get them unchanged.
 */
final class ProcessInfo {

    private ProcessInfo() {
    }

    /**
     * Returns the raw bytes of the last {@code decoded.size()} command-line arguments, as byte
     * strings (one char per byte). The program's arguments always end the command line.
     */
    static List<String> rawArguments(List<String> decoded) throws IOException {
        List<String> all = split(Main.readBytes(Path.of("/proc/self/cmdline")));
        if (all.size() < decoded.size()) {
            return decoded;
        }
        return new ArrayList<>(all.subList(all.size() - decoded.size(), all.size()));
    }

    /** Returns the environment kmview started with, as byte strings. */
    static List<String> rawEnvironment() throws IOException {
        return split(Main.readBytes(Path.of("/proc/self/environ")));
    }

    private static List<String> split(String nulSeparated) {
        if (nulSeparated.isEmpty()) {
            return List.of();
        }
        String trimmed = nulSeparated.endsWith("\0") ? nulSeparated.substring(0, nulSeparated.length() - 1)
                : nulSeparated;
        return new ArrayList<>(Arrays.asList(trimmed.split("\0", -1)));
    }
}
