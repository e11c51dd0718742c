package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.kmview.spi.ServiceException;

/** Entry files must read exactly as the kernel's /proc/sys/fs/binfmt_misc/NAME files. */
class EntryRenderTest {

    private static final TestCaller CALLER = new TestCaller(1, Map.of(
            "/usr/bin/qemu-arm-static", "/host/qemu-arm-static",
            "/usr/bin/qemu-aarch64-static", "/host/qemu-aarch64-static"));

    private static Entry parse(String line) throws ServiceException {
        return Entry.parse(line.getBytes(StandardCharsets.UTF_8), CALLER);
    }

    @Test
    void magicEntryWithoutMask() throws ServiceException {
        Entry entry = parse(":qemu-arm:M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                + "\\x02\\x00\\x28\\x00::/usr/bin/qemu-arm-static:OCF");

        assertEquals("enabled\n"
                + "interpreter /usr/bin/qemu-arm-static\n"
                + "flags: OCF\n"
                + "offset 0\n"
                + "magic 7f454c4601010100000000000000000002002800\n", entry.render());
    }

    @Test
    void magicEntryWithMask() throws ServiceException {
        Entry entry = parse(":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                + "\\x02\\x00\\xb7\\x00"
                + ":\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff"
                + "\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff"
                + ":/usr/bin/qemu-aarch64-static:F");

        assertEquals("enabled\n"
                + "interpreter /usr/bin/qemu-aarch64-static\n"
                + "flags: F\n"
                + "offset 0\n"
                + "magic 7f454c460201010000000000000000000200b700\n"
                + "mask ffffffffffffff00fffffffffffffffffeffffff\n", entry.render());
    }

    @Test
    void extensionEntry() throws ServiceException {
        Entry entry = parse(":python:E::py::/usr/bin/python3:");

        assertEquals("enabled\n"
                + "interpreter /usr/bin/python3\n"
                + "flags: \n"
                + "extension .py\n", entry.render());
    }

    @Test
    void disabledEntryWithOffset() throws ServiceException {
        Entry entry = parse(":m:M:4:AB::/bin/interp:").withEnabled(false);

        assertEquals("disabled\n"
                + "interpreter /bin/interp\n"
                + "flags: \n"
                + "offset 4\n"
                + "magic 4142\n", entry.render());
    }

    @Test
    void flagsInKernelOrder() throws ServiceException {
        Entry entry = parse(":x:E::x::/usr/bin/qemu-arm-static:FCP");

        assertEquals("enabled\n"
                + "interpreter /usr/bin/qemu-arm-static\n"
                + "flags: POCF\n"
                + "extension .x\n", entry.render());
    }
}
