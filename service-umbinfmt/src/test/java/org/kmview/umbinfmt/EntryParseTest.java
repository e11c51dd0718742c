package org.kmview.umbinfmt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;

class EntryParseTest {

    private static Entry parse(String line) throws ServiceException {
        return Entry.parse(line.getBytes(StandardCharsets.UTF_8), TestCaller.NO_FILES);
    }

    private static ServiceException rejection(String line) {
        return rejection(line.getBytes(StandardCharsets.UTF_8));
    }

    private static ServiceException rejection(byte[] line) {
        return assertThrows(ServiceException.class, () -> Entry.parse(line, TestCaller.NO_FILES));
    }

    private static MagicSignature magic(Entry entry) {
        return assertInstanceOf(MagicSignature.class, entry.signature());
    }

    @Test
    void magicEntryWithoutMask() throws ServiceException {
        Entry entry = parse(":qemu-arm:M::\\x7fELF\\x01\\x01\\x01::/usr/bin/qemu-arm:");

        assertEquals("qemu-arm", entry.name());
        assertEquals("/usr/bin/qemu-arm", entry.interpreter());
        assertEquals(Set.of(), entry.flags());
        assertTrue(entry.enabled());
        assertEquals(Optional.empty(), entry.interpreterHostPath());
        assertEquals(0, magic(entry).offset());
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1}, magic(entry).magic());
        assertArrayEquals(new byte[0], magic(entry).mask());
    }

    @Test
    void magicEntryWithOffsetAndMask() throws ServiceException {
        Entry entry = parse(":m:M:4:\\x02\\xAb:\\xff\\xf0:/bin/interp:");

        assertEquals(4, magic(entry).offset());
        assertArrayEquals(new byte[] {0x02, (byte) 0xab}, magic(entry).magic());
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xf0}, magic(entry).mask());
    }

    @Test
    void magicEscapedBackslash() throws ServiceException {
        Entry entry = parse(":m:M::a\\\\b::/bin/interp:");

        assertArrayEquals(new byte[] {'a', '\\', 'b'}, magic(entry).magic());
    }

    @Test
    void magicReachingByte128() throws ServiceException {
        Entry entry = parse(":m:M:127:\\x01::/bin/interp:");

        assertEquals(127, magic(entry).offset());
    }

    @Test
    void magicOf128Bytes() throws ServiceException {
        String magic = "\\x00".repeat(128);
        Entry entry = parse(":m:M::" + magic + "::/bin/interp:");

        assertEquals(128, magic(entry).magic().length);
    }

    @Test
    void extensionEntry() throws ServiceException {
        Entry entry = parse(":python:E::py::/usr/bin/python3:");

        assertEquals(new ExtensionSignature("py"), entry.signature());
        assertEquals("/usr/bin/python3", entry.interpreter());
    }

    @Test
    void extensionIgnoresOffsetAndMask() throws ServiceException {
        Entry entry = parse(":python:E:xyz:py:not a mask:/usr/bin/python3:");

        assertEquals(new ExtensionSignature("py"), entry.signature());
    }

    @Test
    void extensionKeepsBackslashes() throws ServiceException {
        Entry entry = parse(":odd:E::a\\x41::/bin/interp:");

        assertEquals(new ExtensionSignature("a\\x41"), entry.signature());
    }

    @Test
    void flagsParsedAndFResolved() throws ServiceException {
        TestCaller caller = new TestCaller(7, Map.of("/usr/bin/qemu", "/host/usr/bin/qemu"));
        Entry entry = Entry.parse(":q:E::bin::/usr/bin/qemu:FCP".getBytes(StandardCharsets.UTF_8), caller);

        assertEquals(EnumSet.allOf(EntryFlag.class), entry.flags());
        assertEquals(Optional.of("/host/usr/bin/qemu"), entry.interpreterHostPath());
        assertEquals("/usr/bin/qemu", entry.interpreter());
    }

    @Test
    void credentialsFlagImpliesOpenBinary() throws ServiceException {
        Entry entry = parse(":q:E::bin::/usr/bin/qemu:C");

        assertEquals(Set.of(EntryFlag.CREDENTIALS, EntryFlag.OPEN_BINARY), entry.flags());
    }

    @Test
    void repeatedFlagsAccepted() throws ServiceException {
        Entry entry = parse(":q:E::bin::/usr/bin/qemu:PP");

        assertEquals(Set.of(EntryFlag.PRESERVE_ARGV0), entry.flags());
    }

    @Test
    void trailingNewlineIgnored() throws ServiceException {
        assertEquals("/bin/interp", parse(":a:E::py::/bin/interp:\n").interpreter());
        assertEquals(Set.of(EntryFlag.PRESERVE_ARGV0), parse(":a:E::py::/bin/interp:P\n").flags());
    }

    @Test
    void separatorAfterInterpreterRequired() {
        ServiceException e = assertThrows(ServiceException.class, () -> parse(":a:E::py::/bin/interp\n"));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("interpreter"), e.getMessage());
    }

    @Test
    void oneLinePerWrite() {
        ServiceException e = assertThrows(ServiceException.class,
                () -> parse(":a:E::py::/bin/interp:\n:b:E::rb::/bin/ruby:\n"));

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("newline"), e.getMessage());
    }

    @Test
    void otherSeparator() throws ServiceException {
        Entry entry = parse(",a:b,M,,\\x7fELF,,/bin/interp,P");

        assertEquals("a:b", entry.name());
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, magic(entry).magic());
        assertEquals(Set.of(EntryFlag.PRESERVE_ARGV0), entry.flags());
    }

    @Test
    void hexDigitSeparatorInsideEscape() throws ServiceException {
        // The separator 4 also occurs in \x41 and \x42, which must be read as escapes, not split.
        Entry entry = parse("4a4M44\\x41\\x4244/bin/interp4");

        assertEquals("a", entry.name());
        assertArrayEquals(new byte[] {0x41, 0x42}, magic(entry).magic());
        assertEquals("/bin/interp", entry.interpreter());
    }

    @Test
    void nonAsciiName() throws ServiceException {
        assertEquals("größe", parse(":größe:E::py::/bin/interp:").name());
    }

    @Test
    void shortestAndLongestLines() throws ServiceException {
        String shortest = ":a:E::p::x:";
        assertEquals(RegisterFields.MIN_LENGTH, shortest.length());
        assertEquals("x", parse(shortest).interpreter());

        String prefix = ":a:E::py::/";
        String longest = prefix + "i".repeat(RegisterFields.MAX_LENGTH - prefix.length() - 1) + ":";
        assertEquals(RegisterFields.MAX_LENGTH, longest.length());
        assertEquals(RegisterFields.MAX_LENGTH - prefix.length(), parse(longest).interpreter().length());
    }

    /** Lines with one invalid field: the line, the field the message must name, and its value. */
    static Stream<Arguments> invalidFields() {
        return Stream.of(
                Arguments.of("::E::py::/bin/interp:", "name", "\"\""),
                Arguments.of(":.:E::py::/bin/interp:", "name", "\".\""),
                Arguments.of(":..:E::py::/bin/interp:", "name", "\"..\""),
                Arguments.of(":a/b:E::py::/bin/interp:", "name", "\"a/b\""),
                Arguments.of(":status:E::py::/bin/interp:", "name", "\"status\""),
                Arguments.of(":register:E::py::/bin/interp:", "name", "\"register\""),
                Arguments.of(":a:X::py::/bin/interp:", "type", "\"X\""),
                Arguments.of(":a:ME::py::/bin/interp:", "type", "\"ME\""),
                Arguments.of(":a:m::py::/bin/interp:", "type", "\"m\""),
                Arguments.of(":a:::py::/bin/interp:", "type", "\"\""),
                Arguments.of(":a:M:x1:ab::/bin/interp:", "offset", "\"x1\""),
                Arguments.of(":a:M:-1:ab::/bin/interp:", "offset", "\"-1\""),
                Arguments.of(":a:M:+1:ab::/bin/interp:", "offset", "\"+1\""),
                Arguments.of(":a:M:0x10:ab::/bin/interp:", "offset", "\"0x10\""),
                Arguments.of(":a:M:127:ab::/bin/interp:", "offset", "\"127\""),
                Arguments.of(":a:M:99999999999999999999999:ab::/bin/interp:", "offset", "\"99999999999999999999999\""),
                Arguments.of(":a:M::" + "\\x00".repeat(129) + "::/bin/interp:", "offset", "\"\""),
                Arguments.of(":a:M::::/bin/interp:", "magic", "\"\""),
                Arguments.of(":a:M::\\x4g::/bin/interp:", "magic", "\"\\x4g\""),
                Arguments.of(":a:M::ab\\::/bin/interp:", "magic", "\"ab\\\""),
                Arguments.of(":a:M::\\q::/bin/interp:", "magic", "\"\\q\""),
                Arguments.of(":a:M::abc:\\xff\\xff:/bin/interp:", "mask", "\"\\xff\\xff\""),
                Arguments.of(":a:M::ab:\\xff\\xff\\xff:/bin/interp:", "mask", "\"\\xff\\xff\\xff\""),
                Arguments.of(":a:M::ab:\\xfz\\xff:/bin/interp:", "mask", "\"\\xfz\\xff\""),
                Arguments.of(":a:E::::/bin/interp:", "extension", "\"\""),
                Arguments.of(":a:E::p/y::/bin/interp:", "extension", "\"p/y\""),
                Arguments.of(":a:E::py:::", "interpreter", "\"\""),
                Arguments.of(":a:E::py::/bin/interp:Q", "flags", "\"Q\""),
                Arguments.of(":a:E::py::/bin/interp:Pp", "flags", "\"Pp\""),
                Arguments.of(":a:E::py::/bin/interp:F:extra", "flags", "\"F:extra\""));
    }

    @ParameterizedTest
    @MethodSource("invalidFields")
    void invalidFieldRejected(String line, String field, String quotedValue) {
        ServiceException e = rejection(line);

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("invalid " + field + " "), e.getMessage());
        assertTrue(e.getMessage().contains(quotedValue), e.getMessage());
    }

    @Test
    void offsetOverLimitNamesMagicLength() {
        ServiceException e = rejection(":a:M:127:ab::/bin/interp:");

        assertTrue(e.getMessage().contains("2-byte magic"), e.getMessage());
        assertTrue(e.getMessage().contains("128"), e.getMessage());
    }

    @Test
    void tooManyFieldsInMessage() {
        ServiceException e = rejection(":a:E::py::/bin/interp:F:extra");

        assertTrue(e.getMessage().contains("too many fields"), e.getMessage());
    }

    @Test
    void missingFieldsNameWhereLineEnds() {
        ServiceException inType = rejection(":abcdefghij:E");
        assertEquals(Errno.EINVAL, inType.errno());
        assertTrue(inType.getMessage().contains("missing fields"), inType.getMessage());
        assertTrue(inType.getMessage().contains("type field"), inType.getMessage());

        ServiceException inMask = rejection(":a:M::ab:ff");
        assertEquals(Errno.EINVAL, inMask.errno());
        assertTrue(inMask.getMessage().contains("mask field"), inMask.getMessage());
    }

    @Test
    void lineTooShort() {
        ServiceException e = rejection(":a:E::p::/");

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("length 10 bytes"), e.getMessage());
    }

    @Test
    void lineTooLong() {
        String prefix = ":a:E::py::/";
        ServiceException e = rejection(prefix + "i".repeat(RegisterFields.MAX_LENGTH - prefix.length()) + ":");

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("length 1921 bytes"), e.getMessage());
    }

    @Test
    void nulByteRejected() {
        byte[] line = ":a:E::py::/bin/interp:".getBytes(StandardCharsets.UTF_8);
        line[1] = 0;
        ServiceException e = rejection(line);

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("NUL byte at position 1"), e.getMessage());
    }

    @Test
    void invalidUtf8NameRejected() {
        byte[] line = ":a:E::py::/bin/interp:".getBytes(StandardCharsets.UTF_8);
        line[1] = (byte) 0xff;
        ServiceException e = rejection(line);

        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("invalid name "), e.getMessage());
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void fixedInterpreterMissingIsEnoent() {
        ServiceException e = rejection(":q:E::bin::/usr/bin/qemu:F");

        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/usr/bin/qemu"), e.getMessage());
    }

    @Test
    void messagesShowControlBytesEscaped() {
        byte[] line = ":a:X::py::/bin/interp:".getBytes(StandardCharsets.UTF_8);
        line[3] = 0x1b;
        ServiceException e = rejection(line);

        assertTrue(e.getMessage().contains("\"\\x1b\""), e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20), e.getMessage());
    }

    @Test
    void longValuesCutInMessages() {
        byte[] flags = new byte[200];
        Arrays.fill(flags, (byte) 'Z');
        ServiceException e = rejection(":a:E::py::/bin/interp:" + new String(flags, StandardCharsets.US_ASCII));

        assertTrue(e.getMessage().contains("Z".repeat(80) + "...\""), e.getMessage());
        assertFalse(e.getMessage().contains("Z".repeat(81)), e.getMessage());
    }
}
