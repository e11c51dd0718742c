package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Checks the reserved syscall numbers against the C side of the contract, native/src/kmview_abi.h.
 */
class ManagementCallTest {

    /** Surefire runs in the module directory, next to native/. */
    private static final Path ABI_HEADER = Path.of("../native/src/kmview_abi.h");

    private static String define(String name) throws IOException {
        Matcher matcher = Pattern.compile("#define " + name + " (.+)").matcher(Files.readString(ABI_HEADER));
        assertTrue(matcher.find(), name + " not defined in " + ABI_HEADER.toAbsolutePath());
        return matcher.group(1).trim();
    }

    @Test
    void baseMatchesHeader() throws IOException {
        assertEquals("(" + ManagementCall.BASE + ")", define("KMVIEW_SYS_BASE"));
    }

    @Test
    void countMatchesHeader() throws IOException {
        assertEquals(Integer.toString(ManagementCall.COUNT), define("KMVIEW_SYS_COUNT"));
    }

    @Test
    void pingMatchesHeader() throws IOException {
        assertEquals("(KMVIEW_SYS_BASE - " + (ManagementCall.BASE - ManagementCall.PING) + ")",
                define("KMVIEW_SYS_PING"));
    }

    @Test
    void reservedRangeEdges() {
        assertTrue(ManagementCall.isReserved(-19200));
        assertTrue(ManagementCall.isReserved(-19231));
        assertFalse(ManagementCall.isReserved(-19199));
        assertFalse(ManagementCall.isReserved(-19232));
        assertFalse(ManagementCall.isReserved(0));
    }
}
