package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.ServiceException;

class EntryTableTest {

    private final EntryTable table = new EntryTable();

    private Entry register(String line) throws ServiceException {
        Entry entry = Entry.parse(line.getBytes(StandardCharsets.UTF_8), TestCaller.NO_FILES);
        table.add(entry);
        return entry;
    }

    private Optional<String> matchedName(Executable executable) {
        return table.match(executable).map(Entry::name);
    }

    @Test
    void magicAtOffsetWithMask() throws ServiceException {
        register(":m:M:2:\\x12\\x34:\\xff\\xf0:/bin/interp:");

        assertEquals(Optional.of("m"), matchedName(Executables.withHeader("/a", "/a", 2, 0x12, 0x34)));
        assertEquals(Optional.of("m"), matchedName(Executables.withHeader("/a", "/a", 2, 0x12, 0x3f)));
        assertEquals(Optional.empty(), matchedName(Executables.withHeader("/a", "/a", 2, 0x12, 0x44)));
        assertEquals(Optional.empty(), matchedName(Executables.withHeader("/a", "/a", 2, 0x13, 0x34)));
        assertEquals(Optional.empty(), matchedName(Executables.withHeader("/a", "/a", 0, 0x12, 0x34)));
    }

    @Test
    void magicWithoutMaskExact() throws ServiceException {
        register(":elf:M::\\x7fELF::/bin/interp:");

        assertEquals(Optional.of("elf"), matchedName(Executables.withHeader("/a", "/a", 0, 0x7f, 'E', 'L', 'F', 2)));
        assertEquals(Optional.empty(), matchedName(Executables.withHeader("/a", "/a", 0, 0x7f, 'E', 'L', 'G')));
    }

    @Test
    void magicMatchesZeroPadding() throws ServiceException {
        // A file shorter than the magic's end is padded with zero bytes, so zero magic bytes match it.
        register(":zeros:M:8:\\x00\\x00::/bin/interp:");

        assertEquals(Optional.of("zeros"), matchedName(Executables.named("/empty")));
    }

    @Test
    void extensionOfLastComponent() throws ServiceException {
        register(":py:E::py::/usr/bin/python3:");

        assertEquals(Optional.of("py"), matchedName(Executables.named("/a/b/script.py")));
        assertEquals(Optional.of("py"), matchedName(Executables.named("script.py")));
        assertEquals(Optional.of("py"), matchedName(Executables.named("archive.tar.py")));
        assertEquals(Optional.of("py"), matchedName(Executables.named("/a/.py")));
        assertEquals(Optional.empty(), matchedName(Executables.named("/a/b/script.pyc")));
        assertEquals(Optional.empty(), matchedName(Executables.named("/a/b/script.PY")));
        assertEquals(Optional.empty(), matchedName(Executables.named("/a.py/script")));
        assertEquals(Optional.empty(), matchedName(Executables.named("/a/b/py")));
        assertEquals(Optional.empty(), matchedName(Executables.named("/a/b/script.")));
    }

    @Test
    void newestEntryWins() throws ServiceException {
        register(":older:E::py::/bin/first:");
        register(":newer:M::#!::/bin/second:");
        Executable both = new Executable("/x/run.py", "/x/run.py", "/x/run.py", header("#!"));

        assertEquals(Optional.of("newer"), matchedName(both));
        assertEquals(List.of("newer", "older"), table.entries().stream().map(Entry::name).toList());
    }

    @Test
    void disabledEntrySkipped() throws ServiceException {
        register(":older:E::py::/bin/first:");
        Entry newer = register(":newer:E::py::/bin/second:");
        table.replace(newer.withEnabled(false));

        assertEquals(Optional.of("older"), matchedName(Executables.named("run.py")));
        assertEquals(List.of("newer", "older"), table.entries().stream().map(Entry::name).toList());
    }

    @Test
    void disabledTableMatchesNothing() throws ServiceException {
        register(":py:E::py::/usr/bin/python3:");
        table.setEnabled(false);

        assertEquals(Optional.empty(), matchedName(Executables.named("run.py")));

        table.setEnabled(true);
        assertEquals(Optional.of("py"), matchedName(Executables.named("run.py")));
    }

    @Test
    void removedEntryNoLongerMatches() throws ServiceException {
        register(":py:E::py::/usr/bin/python3:");
        table.remove("py");

        assertEquals(Optional.empty(), matchedName(Executables.named("run.py")));
        assertEquals(List.of(), table.entries());
    }

    @Test
    void duplicateNameIsEexist() throws ServiceException {
        register(":py:E::py::/usr/bin/python3:");

        ServiceException e = assertThrows(ServiceException.class, () -> register(":py:E::pyw::/usr/bin/python3:"));
        assertEquals(Errno.EEXIST, e.errno());
        assertEquals(1, table.entries().size());
    }

    private static byte[] header(String start) {
        byte[] header = new byte[Executable.HEADER_SIZE];
        byte[] bytes = start.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, 0, bytes.length);
        return header;
    }
}
