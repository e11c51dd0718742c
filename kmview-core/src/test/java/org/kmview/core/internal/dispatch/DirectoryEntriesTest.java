package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Removes names from getdents batches built byte by byte as the kernel lays them out on x86_64.
 */
class DirectoryEntriesTest {

    private static final byte DT_DIR = 4;
    private static final byte DT_REG = 8;

    /** struct linux_dirent64, padded to 8 bytes: d_ino, d_off, d_reclen, d_type, d_name, NUL. */
    static byte[] dirent64(long inode, String name, byte type) {
        byte[] raw = name.getBytes(StandardCharsets.ISO_8859_1);
        int length = align8(19 + raw.length + 1);
        ByteBuffer record = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(inode).putLong(inode * 100).putShort((short) length).put(type).put(raw);
        return record.array();
    }

    /** struct linux_dirent, padded to 8 bytes: d_ino, d_off, d_reclen, d_name, NUL, padding, d_type last. */
    private static byte[] dirent(long inode, String name, byte type) {
        byte[] raw = name.getBytes(StandardCharsets.ISO_8859_1);
        int length = align8(18 + raw.length + 2);
        ByteBuffer record = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(inode).putLong(inode * 100).putShort((short) length).put(raw);
        record.put(length - 1, type);
        return record.array();
    }

    private static int align8(int length) {
        return (length + 7) & ~7;
    }

    static byte[] concat(byte[]... records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] record : records) {
            out.writeBytes(record);
        }
        return out.toByteArray();
    }

    @Test
    void dirent64RemovesMiddle() {
        byte[] dot = dirent64(1, ".", DT_DIR);
        byte[] secret = dirent64(2, "secret", DT_DIR);
        byte[] file = dirent64(3, "file.txt", DT_REG);
        byte[] batch = concat(dot, secret, file);

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("secret"));

        byte[] expected = concat(dot, file);
        assertEquals(expected.length, remaining);
        assertArrayEquals(expected, Arrays.copyOf(batch, remaining));
    }

    @Test
    void dirent64RemovesFirstAndLast() {
        byte[] first = dirent64(1, "a", DT_REG);
        byte[] middle = dirent64(2, "keep", DT_REG);
        byte[] last = dirent64(3, "z-long-name-for-padding", DT_REG);
        byte[] batch = concat(first, middle, last);

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("a", "z-long-name-for-padding"));

        assertEquals(middle.length, remaining);
        assertArrayEquals(middle, Arrays.copyOf(batch, remaining));
    }

    @Test
    void dirent64AllRemovedGivesZero() {
        byte[] batch = concat(dirent64(1, "x", DT_REG), dirent64(2, "y", DT_DIR));

        assertEquals(0, DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("x", "y")));
    }

    @Test
    void dirent64NoneRemovedUnchanged() {
        byte[] batch = concat(dirent64(1, "x", DT_REG), dirent64(2, "y", DT_DIR));
        byte[] original = batch.clone();

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("xy", "secret"));

        assertEquals(original.length, remaining);
        assertArrayEquals(original, batch);
    }

    @Test
    void dirent64PrefixNotRemoved() {
        byte[] shorter = dirent64(1, "sec", DT_REG);
        byte[] longer = dirent64(2, "secret2", DT_REG);
        byte[] batch = concat(shorter, dirent64(3, "secret", DT_DIR), longer);

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("secret"));

        byte[] expected = concat(shorter, longer);
        assertEquals(expected.length, remaining);
        assertArrayEquals(expected, Arrays.copyOf(batch, remaining));
    }

    @Test
    void dirent64NameWithoutPadding() {
        // 19 + 4 + NUL = 24: the record ends right after the NUL.
        byte[] exact = dirent64(1, "abcd", DT_REG);
        byte[] batch = concat(exact, dirent64(2, "gone", DT_REG), exact);

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(batch, batch.length, List.of("gone"));

        assertEquals(24, exact.length);
        assertEquals(48, remaining);
        assertArrayEquals(concat(exact, exact), Arrays.copyOf(batch, remaining));
    }

    @Test
    void dirent64ReadsOnlyLength() {
        byte[] keep = dirent64(1, "keep", DT_REG);
        byte[] gone = dirent64(2, "gone", DT_REG);
        byte[] data = concat(keep, gone);
        // The buffer is larger than what the kernel filled; the rest is stale.
        byte[] buffer = Arrays.copyOf(data, data.length + 64);
        Arrays.fill(buffer, data.length, buffer.length, (byte) 0x5a);

        int remaining = DirectoryEntries.LINUX_DIRENT64.remove(buffer, data.length, List.of("gone"));

        assertEquals(keep.length, remaining);
        assertArrayEquals(keep, Arrays.copyOf(buffer, remaining));
    }

    @Test
    void direntRemovesMiddle() {
        byte[] dot = dirent(1, ".", DT_DIR);
        byte[] secret = dirent(2, "secret", DT_DIR);
        byte[] file = dirent(3, "file.txt", DT_REG);
        byte[] batch = concat(dot, secret, file);

        int remaining = DirectoryEntries.LINUX_DIRENT.remove(batch, batch.length, List.of("secret"));

        byte[] expected = concat(dot, file);
        assertEquals(expected.length, remaining);
        assertArrayEquals(expected, Arrays.copyOf(batch, remaining));
    }

    @Test
    void direntTypeByteNotInName() {
        // 18 + 4 + NUL + d_type = 24: d_type directly follows the NUL.
        byte[] tight = dirent(1, "abcd", DT_REG);
        byte[] batch = concat(tight, dirent(2, "other", DT_DIR));

        int remaining = DirectoryEntries.LINUX_DIRENT.remove(batch, batch.length, List.of("abcd"));

        assertEquals(24, tight.length);
        assertEquals(batch.length - tight.length, remaining);
        assertArrayEquals(dirent(2, "other", DT_DIR), Arrays.copyOf(batch, remaining));
    }

    @Test
    void direntAllRemovedGivesZero() {
        byte[] batch = concat(dirent(1, "x", DT_REG), dirent(2, "y", DT_DIR), dirent(3, "x", DT_REG));

        assertEquals(0, DirectoryEntries.LINUX_DIRENT.remove(batch, batch.length, List.of("x", "y")));
    }

    @Test
    void direntKeepsLatin1Names() {
        String name = "caf\u00e9\u00ff";
        byte[] longer = dirent(1, name, DT_REG);
        byte[] batch = concat(dirent(2, "caf\u00e9", DT_REG), longer);

        int remaining = DirectoryEntries.LINUX_DIRENT.remove(batch, batch.length, List.of("caf\u00e9"));

        assertEquals(longer.length, remaining);
        assertArrayEquals(longer, Arrays.copyOf(batch, remaining));
    }

    @Test
    void encodeAppendsReadableRecord() {
        java.util.List<DirectoryEntries.Entry> added = java.util.List.of(new DirectoryEntries.Entry("new", 42, 0040755));
        byte[] encoded = DirectoryEntries.LINUX_DIRENT64.encode(added, new byte[0], 0);

        assertEquals(24, encoded.length);
        assertEquals(42, encoded[0]);
        assertEquals(24, encoded[16]);
        assertEquals(4, encoded[18]);
        assertEquals("new", new String(encoded, 19, 3, java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(0, encoded[22]);
    }
}
