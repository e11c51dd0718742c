package org.kmview.umfuse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The Rock Ridge fields (RRIP 1.12) of one ISO 9660 directory record.
 *
 * @param name the {@code NM} name, or null
 * @param mode the {@code PX} file mode with its type bits, or -1
 * @param uid the {@code PX} owner, or -1
 * @param gid the {@code PX} group, or -1
 * @param mtime the {@code TF} modification time, or null
 * @param atime the {@code TF} access time, or null
 * @param symlinkTarget the {@code SL} target, or null
 * @param childLink the block of the relocated directory this record stands for ({@code CL}), or -1
 * @param relocated whether this record is a relocated directory ({@code RE}) shown elsewhere
 */
record RockRidge(String name, int mode, long uid, long gid, FileTime mtime, FileTime atime, String symlinkTarget,
                 long childLink, boolean relocated) {

    static final RockRidge NONE = new RockRidge(null, -1, -1, -1, null, null, null, -1, false);

    /** Returns the permission bits, or {@link ArchiveEntry#UNKNOWN} without {@code PX}. */
    int permissions() {
        return mode < 0 ? ArchiveEntry.UNKNOWN : mode & 07777;
    }

    /** Collects the SUSP entries of one record; an entry of another extension is ignored. */
    static final class Builder {
        private StringBuilder name;
        private int mode = -1;
        private long uid = -1;
        private long gid = -1;
        private FileTime mtime;
        private FileTime atime;
        private StringBuilder symlink;
        private boolean symlinkComponentOpen;
        private long childLink = -1;
        private boolean relocated;

        /** Adds one entry; {@code entry} starts at its signature and is little-endian. */
        void add(String signature, ByteBuffer entry) {
            int length = entry.limit();
            switch (signature) {
                case "NM" -> addName(entry, length);
                case "PX" -> {
                    if (length >= 36) {
                        mode = entry.getInt(4);
                        uid = entry.getInt(20) & 0xFFFF_FFFFL;
                        gid = entry.getInt(28) & 0xFFFF_FFFFL;
                    }
                }
                case "SL" -> addSymlink(entry, length);
                case "TF" -> addTimes(entry, length);
                case "CL" -> childLink = length >= 12 ? entry.getInt(4) & 0xFFFF_FFFFL : -1;
                case "RE" -> relocated = true;
                default -> {
                    // SP, RR, ER, PN, PL, ZF and entries of other extensions carry nothing shown here.
                }
            }
        }

        RockRidge build() {
            return new RockRidge(name == null ? null : name.toString(), mode, uid, gid, mtime, atime,
                    symlink == null ? null : symlink.toString(), childLink, relocated);
        }

        private void addName(ByteBuffer entry, int length) {
            if (length < 5) {
                return;
            }
            int flags = entry.get(4) & 0xFF;
            if ((flags & 0x06) != 0) {
                // The CURRENT and PARENT flags name "." and "..", which are never shown as entries.
                return;
            }
            if (name == null) {
                name = new StringBuilder();
            }
            name.append(text(entry, 5, length - 5));
        }

        private void addSymlink(ByteBuffer entry, int length) {
            if (symlink == null) {
                symlink = new StringBuilder();
            }
            int position = 5;
            while (position + 2 <= length) {
                int flags = entry.get(position) & 0xFF;
                int componentLength = entry.get(position + 1) & 0xFF;
                if (position + 2 + componentLength > length) {
                    return;
                }
                String component;
                if ((flags & 0x02) != 0) {
                    component = ".";
                } else if ((flags & 0x04) != 0) {
                    component = "..";
                } else if ((flags & 0x08) != 0) {
                    component = "";
                } else {
                    component = text(entry, position + 2, componentLength);
                }
                if (!symlinkComponentOpen && symlink.length() > 0 && !symlink.toString().equals("/")) {
                    symlink.append('/');
                }
                symlink.append((flags & 0x08) != 0 ? "/" : component);
                symlinkComponentOpen = (flags & 0x01) != 0;
                position += 2 + componentLength;
            }
        }

        private void addTimes(ByteBuffer entry, int length) {
            if (length < 5) {
                return;
            }
            int flags = entry.get(4) & 0xFF;
            int size = (flags & 0x80) != 0 ? 17 : 7;
            int position = 5;
            for (int bit = 0; bit < 7; bit++) {
                if ((flags & (1 << bit)) == 0) {
                    continue;
                }
                if (position + size > length) {
                    return;
                }
                FileTime time = size == 7 ? shortTime(entry, position) : longTime(entry, position);
                if (bit == 1) {
                    mtime = time;
                } else if (bit == 2) {
                    atime = time;
                }
                position += size;
            }
        }

        private static String text(ByteBuffer buffer, int offset, int length) {
            byte[] bytes = new byte[length];
            buffer.get(offset, bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /** Decodes the 7-byte form of ECMA-119 9.1.5. */
        private static FileTime shortTime(ByteBuffer buffer, int offset) {
            try {
                LocalDateTime time = LocalDateTime.of(1900 + (buffer.get(offset) & 0xFF), buffer.get(offset + 1),
                        buffer.get(offset + 2), buffer.get(offset + 3), buffer.get(offset + 4), buffer.get(offset + 5));
                return FileTime.from(time.toInstant(ZoneOffset.ofTotalSeconds(buffer.get(offset + 6) * 15 * 60)));
            } catch (DateTimeException e) {
                return null;
            }
        }

        /** Decodes the 17-byte form of ECMA-119 8.4.26.1: digits YYYYMMDDHHMMSScc, then the zone. */
        private static FileTime longTime(ByteBuffer buffer, int offset) {
            try {
                String digits = text(buffer, offset, 16);
                LocalDateTime time = LocalDateTime.of(Integer.parseInt(digits.substring(0, 4)),
                        Integer.parseInt(digits.substring(4, 6)), Integer.parseInt(digits.substring(6, 8)),
                        Integer.parseInt(digits.substring(8, 10)), Integer.parseInt(digits.substring(10, 12)),
                        Integer.parseInt(digits.substring(12, 14)),
                        Integer.parseInt(digits.substring(14, 16)) * 10_000_000);
                return FileTime.from(time.toInstant(ZoneOffset.ofTotalSeconds(buffer.get(offset + 16) * 15 * 60)));
            } catch (DateTimeException | NumberFormatException e) {
                return null;
            }
        }
    }
}
