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

    private final int nameOffset;

    DirectoryEntries(int nameOffset) {
        this.nameOffset = nameOffset;
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
