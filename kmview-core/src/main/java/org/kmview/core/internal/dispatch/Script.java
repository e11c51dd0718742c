package org.kmview.core.internal.dispatch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The #! line of a script, parsed as the kernel's binfmt_script parses it: the interpreter is
 * the first word after {@code #!}, and the rest of the line, trimmed, is one optional argument.
 *
 * @param interpreter the interpreter path as written
 * @param argument the optional argument, or null
 */
record Script(String interpreter, String argument) {

    /** The kernel reads at most this much of the first line (BINPRM_BUF_SIZE). */
    private static final int BINPRM_BUF_SIZE = 256;

    /** Reads the #! line of the host file {@code hostPath}; returns null if it is no script. */
    static Script read(String hostPath) {
        byte[] head = new byte[BINPRM_BUF_SIZE];
        int length;
        try (InputStream in = Files.newInputStream(Path.of(hostPath))) {
            length = in.readNBytes(head, 0, head.length);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return parse(head, length);
    }

    /** Parses the #! line in the first {@code length} bytes of a file; returns null if it is no script. */
    static Script parse(byte[] head, int length) {
        length = Math.min(length, BINPRM_BUF_SIZE);
        if (length < 3 || head[0] != '#' || head[1] != '!') {
            return null;
        }
        int end = 2;
        while (end < length && head[end] != '\n') {
            end++;
        }
        String line = new String(head, 2, end - 2, StandardCharsets.ISO_8859_1).strip();
        if (line.isEmpty()) {
            return null;
        }
        int space = indexOfBlank(line);
        if (space < 0) {
            return new Script(line, null);
        }
        String argument = line.substring(space).strip();
        return new Script(line.substring(0, space), argument.isEmpty() ? null : argument);
    }

    private static int indexOfBlank(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == ' ' || line.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }
}
