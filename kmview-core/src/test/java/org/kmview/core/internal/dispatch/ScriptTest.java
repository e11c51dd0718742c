package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptTest {

    @TempDir
    Path tmp;

    private Script read(String content) throws IOException {
        Path file = tmp.resolve("script");
        Files.write(file, content.getBytes(StandardCharsets.ISO_8859_1));
        return Script.read(file.toString());
    }

    @Test
    void interpreterOnly() throws IOException {
        Script script = read("#!/bin/sh\necho hi\n");

        assertEquals("/bin/sh", script.interpreter());
        assertNull(script.argument());
    }

    @Test
    void argumentKeepsInnerBlanks() throws IOException {
        Script script = read("#!  /usr/bin/env   python3 -u  \n");

        assertEquals("/usr/bin/env", script.interpreter());
        assertEquals("python3 -u", script.argument());
    }

    @Test
    void binaryIsNoScript() throws IOException {
        assertNull(read("\177ELF\2\1\1"));
    }

    @Test
    void emptyLineIsNoScript() throws IOException {
        assertNull(read("#!   \n"));
    }

    @Test
    void missingFileIsNoScript() {
        assertNull(Script.read(tmp.resolve("missing").toString()));
    }
}
