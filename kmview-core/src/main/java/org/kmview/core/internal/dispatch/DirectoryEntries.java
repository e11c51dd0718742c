package org.kmview.core.internal.dispatch;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The record layouts getdents and getdents64 fill, and the removal of named entries from a batch.
 */
enum DirectoryEntries {
    /** struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name. */
    LINUX_DIRENT64(19),
    /** struct linux_dirent: d_ino, d_off (unsigned long), d_reclen u16, d_name, then d_type last. */
    LINUX_DIRENT(18);

    private static final int RECLEN_OFFSET = 16;
    private static final int OFF_OFFSET = 8;

    /** An entry to add to a listing: its name, inode number and st_mode. */
    record Entry(String name, long inode, int mode) {
    }

    private final int nameOffset;

    DirectoryEntries(int nameOffset) {
        this.nameOffset = nameOffset;
    }

    /**
     * Encodes {@code entries} as records of this layout. Their d_off repeats the d_off of the last
     * record in {@code batch[0, length)}, so a seekdir to any of them continues after the batch.
     */
    byte[] encode(List<Entry> entries, byte[] batch, int length) {
        long lastOffset = 0;
        for (int read = 0; read + nameOffset <= length;) {
            int recordLength = (batch[read + RECLEN_OFFSET] & 0xff) | (batch[read + RECLEN_OFFSET + 1] & 0xff) << 8;
            if (recordLength <= 0) {
                break;
            }
            lastOffset = java.nio.ByteBuffer.wrap(batch, read + OFF_OFFSET, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            read += recordLength;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Entry entry : entries) {
            out.writeBytes(record(entry, lastOffset));
        }
        return out.toByteArray();
    }

    /** Encodes one record of this layout for {@code entry}, with {@code offset} as its d_off. */
    byte[] record(Entry entry, long offset) {
        byte[] name = entry.name().getBytes(StandardCharsets.ISO_8859_1);
        // linux_dirent keeps d_type in the record's last byte, after the name's NUL.
        int unaligned = nameOffset + name.length + 1 + (this == LINUX_DIRENT ? 1 : 0);
        int recordLength = (unaligned + 7) & ~7;
        java.nio.ByteBuffer record = java.nio.ByteBuffer.allocate(recordLength).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        record.putLong(0, entry.inode());
        record.putLong(OFF_OFFSET, offset);
        record.putShort(RECLEN_OFFSET, (short) recordLength);
        byte type = directoryType(entry.mode());
        if (this == LINUX_DIRENT64) {
            record.put(18, type);
        } else {
            record.put(recordLength - 1, type);
        }
        record.position(nameOffset);
        record.put(name);
        return record.array();
    }

    /** Returns the DT_ value of an st_mode (the file type bits shifted down, as the kernel does). */
    private static byte directoryType(int mode) {
        return (byte) ((mode >> 12) & 0xf);
    }

    /**
     * Removes the entries named in {@code names} from the first {@code length} bytes of
     * {@code batch}, moving the rest down.
     *
     * @return the length of what is left
     */
    int remove(byte[] batch, int length, List<String> names) {
        int read = 0;
        int written = 0;
        while (read + nameOffset <= length) {
            int recordLength = (batch[read + RECLEN_OFFSET] & 0xff) | (batch[read + RECLEN_OFFSET + 1] & 0xff) << 8;
            if (recordLength <= 0 || read + recordLength > length) {
                break;
            }
            int nameEnd = read + nameOffset;
            while (nameEnd < read + recordLength && batch[nameEnd] != 0) {
                nameEnd++;
            }
            String name = new String(batch, read + nameOffset, nameEnd - read - nameOffset, StandardCharsets.ISO_8859_1);
            if (!names.contains(name)) {
                System.arraycopy(batch, read, batch, written, recordLength);
                written += recordLength;
            }
            read += recordLength;
        }
        return written;
    }
}
