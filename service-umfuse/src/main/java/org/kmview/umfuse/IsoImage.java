package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An ISO 9660 image (ECMA-119), read by this class. Names, modes, owners, times and symbolic
 * links come from the Rock Ridge extensions (RRIP 1.12 over SUSP 1.12) when the image has them;
 * otherwise names come from the Joliet tree (UCS-2), and failing that from the primary tree,
 * lower-cased and without the {@code ;1} version, as Linux shows them.
 *
 * <p>The image is read here instead of with java-iso-tools' loop-fs-iso-impl 2.0.1, because
 * that library reads neither Rock Ridge names, modes nor symbolic links, and its file sizes are
 * 32-bit ints. Files of several extents (over 4 GiB) are supported; directories that Rock Ridge
 * relocated below {@code rr_moved} are shown at their original place. zisofs-compressed files
 * (Rock Ridge {@code ZF}) are shown compressed, and interleaved files are read as contiguous.
 */
final class IsoImage implements Archive {

    private static final int SECTOR = 2048;
    private static final int FIRST_DESCRIPTOR = 16;
    private static final int MAX_DEPTH = 256;

    private final FileChannel channel;
    private final Path source;
    private final long imageSize;
    private final int blockSize;
    private final boolean joliet;
    private int susSkip = -1;
    private final List<ArchiveEntry> entries = new ArrayList<>();
    private final Set<Long> visitedDirectories = new HashSet<>();

    private IsoImage(FileChannel channel, Path source, long imageSize, int blockSize, boolean joliet) {
        this.channel = channel;
        this.source = source;
        this.imageSize = imageSize;
        this.blockSize = blockSize;
        this.joliet = joliet;
    }

    /**
     * Reads the directory tree of the image {@code source}.
     *
     * @throws IOException if the file has no ISO 9660 volume descriptor, is shorter than its
     *         volume or a file extends past its end, or a directory record is corrupt
     */
    static IsoImage open(Path source) throws IOException {
        FileChannel channel = FileChannel.open(source, StandardOpenOption.READ);
        try {
            long size = channel.size();
            ByteBuffer primary = null;
            ByteBuffer jolietDescriptor = null;
            for (int sector = FIRST_DESCRIPTOR; ; sector++) {
                ByteBuffer descriptor = read(channel, size, (long) sector * SECTOR, SECTOR);
                if (descriptor == null || !"CD001".equals(ascii(descriptor, 1, 5))) {
                    throw new IOException("no ISO 9660 volume descriptor at sector " + sector
                            + (descriptor == null ? ": the file ends there" : ""));
                }
                int type = descriptor.get(0) & 0xFF;
                if (type == 1 && primary == null) {
                    primary = descriptor;
                } else if (type == 2 && isJoliet(descriptor)) {
                    jolietDescriptor = descriptor;
                } else if (type == 255) {
                    break;
                }
            }
            if (primary == null) {
                throw new IOException("no primary volume descriptor before the set terminator");
            }
            int blockSize = primary.getShort(128) & 0xFFFF;
            long volumeSize = (primary.getInt(80) & 0xFFFF_FFFFL) * blockSize;
            if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
                throw new IOException("invalid logical block size " + blockSize);
            }
            if (size < volumeSize) {
                throw new IOException("truncated: the volume descriptor declares " + volumeSize
                        + " bytes but the file has " + size);
            }

            IsoImage image = new IsoImage(channel, source, size, blockSize, false);
            ByteBuffer root = slice(primary, 156, 34);
            image.detectRockRidge(root);
            if (image.susSkip < 0 && jolietDescriptor != null) {
                image = new IsoImage(channel, source, size, blockSize, true);
                root = slice(jolietDescriptor, 156, 34);
            }
            image.readDirectory(root, "", 0);
            return image;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public List<ArchiveEntry> entries() {
        return Collections.unmodifiableList(entries);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static boolean isJoliet(ByteBuffer descriptor) {
        String escape = ascii(descriptor, 88, 3);
        return escape.equals("%/@") || escape.equals("%/C") || escape.equals("%/E");
    }

    /** Looks for the SUSP {@code SP} entry in the root's {@code .} record, which marks Rock Ridge. */
    private void detectRockRidge(ByteBuffer rootRecord) throws IOException {
        ByteBuffer first = firstRecord(rootRecord);
        ByteBuffer systemUse = systemUse(first);
        if (systemUse.remaining() >= 7 && ascii(systemUse, 0, 2).equals("SP")
                && (systemUse.get(4) & 0xFF) == 0xBE && (systemUse.get(5) & 0xFF) == 0xEF) {
            susSkip = systemUse.get(6) & 0xFF;
        }
    }

    private ByteBuffer firstRecord(ByteBuffer directoryRecord) throws IOException {
        long extent = directoryRecord.getInt(2) & 0xFFFF_FFFFL;
        ByteBuffer data = readExtent(extent, SECTOR);
        int length = data.get(0) & 0xFF;
        if (length < 34) {
            throw new IOException("corrupt root directory at block " + extent);
        }
        return slice(data, 0, length);
    }

    /** Reads the directory that {@code record} describes and adds its entries below {@code path}. */
    private void readDirectory(ByteBuffer record, String path, int depth) throws IOException {
        long extent = record.getInt(2) & 0xFFFF_FFFFL;
        long length = record.getInt(10) & 0xFFFF_FFFFL;
        if (depth > MAX_DEPTH || !visitedDirectories.add(extent)) {
            throw new IOException("directory " + (path.isEmpty() ? "/" : path)
                    + " loops back to a directory above it or nests deeper than " + MAX_DEPTH);
        }
        ByteBuffer data = readExtent(extent, length);

        List<Directory> subdirectories = new ArrayList<>();
        Multi pending = null;
        int position = 0;
        while (position < data.limit()) {
            int recordLength = data.get(position) & 0xFF;
            if (recordLength == 0) {
                // Records do not cross sector boundaries; the rest of this sector is padding.
                position = (position / SECTOR + 1) * SECTOR;
                continue;
            }
            if (recordLength < 34 || position + recordLength > data.limit()) {
                throw new IOException("corrupt directory record at offset " + position + " of directory "
                        + (path.isEmpty() ? "/" : path));
            }
            ByteBuffer child = slice(data, position, recordLength);
            position += recordLength;

            int nameLength = child.get(32) & 0xFF;
            if (nameLength == 1 && (child.get(33) == 0 || child.get(33) == 1)) {
                continue;
            }
            RockRidge rr = susSkip >= 0 ? rockRidge(child) : RockRidge.NONE;
            if (rr.relocated()) {
                continue;
            }
            String name = rr.name() != null ? rr.name() : plainName(child, nameLength);
            String childPath = path.isEmpty() ? name : path + "/" + name;
            int flags = child.get(25) & 0xFF;
            FileTime mtime = rr.mtime() != null ? rr.mtime() : recordingTime(child);
            long childExtent = child.getInt(2) & 0xFFFF_FFFFL;
            long childLength = child.getInt(10) & 0xFFFF_FFFFL;

            if (rr.childLink() >= 0) {
                ByteBuffer moved = firstRecord(directoryRecordAt(rr.childLink()));
                subdirectories.add(new Directory(moved, childPath, rr, mtime));
            } else if ((flags & 0x02) != 0) {
                subdirectories.add(new Directory(child, childPath, rr, mtime));
            } else if (rr.symlinkTarget() != null) {
                entries.add(ArchiveEntry.symlink(childPath, rr.symlinkTarget(), mtime)
                        .withOwner(rr.uid(), rr.gid(), rr.atime()));
            } else if (rr.mode() >= 0 && (rr.mode() & 0170000) != 0100000 && (rr.mode() & 0170000) != 0) {
                // Rock Ridge devices, FIFOs and sockets have no host equivalent without root.
                continue;
            } else {
                if (pending == null) {
                    pending = new Multi(childPath, rr, mtime);
                }
                pending.extents.add(new long[] {childExtent * blockSize, childLength});
                if ((flags & 0x80) == 0) {
                    addFile(pending);
                    pending = null;
                }
            }
        }
        if (pending != null) {
            throw new IOException("file " + pending.path + " has a multi-extent record without a final extent");
        }

        for (Directory directory : subdirectories) {
            int index = entries.size();
            entries.add(new ArchiveEntry(directory.path, EntryKind.DIRECTORY, 0, directory.rr.permissions(),
                    directory.mtime, directory.rr.atime(), directory.rr.uid(), directory.rr.gid(), null, null));
            readDirectory(directory.record, directory.path, depth + 1);
            if (isEmptyRelocationDirectory(directory.path, index)) {
                entries.remove(index);
            }
        }
    }

    /**
     * Returns whether {@code path} is the top-level directory that mkisofs and genisoimage move
     * deep directories into, left empty once they are shown at their original places.
     */
    private boolean isEmptyRelocationDirectory(String path, int index) {
        return susSkip >= 0 && (path.equals("rr_moved") || path.equals(".rr_moved")) && entries.size() == index + 1;
    }

    private void addFile(Multi file) throws IOException {
        long size = 0;
        for (long[] extent : file.extents) {
            if (extent[0] + extent[1] > imageSize) {
                throw new IOException("truncated: file " + file.path + " extends to byte " + (extent[0] + extent[1])
                        + " but the image has " + imageSize);
            }
            size += extent[1];
        }
        List<long[]> extents = List.copyOf(file.extents);
        ArchiveEntry.Content content = () -> openExtents(extents);
        entries.add(new ArchiveEntry(file.path, EntryKind.FILE, size, file.rr.permissions(), file.mtime,
                file.rr.atime(), file.rr.uid(), file.rr.gid(), null, content));
    }

    private InputStream openExtents(List<long[]> extents) throws IOException {
        List<InputStream> streams = new ArrayList<>();
        for (long[] extent : extents) {
            streams.add(FileSlice.open(source, extent[0], extent[1]));
        }
        // SequenceInputStream.close closes every stream it has not finished.
        return new SequenceInputStream(Collections.enumeration(streams));
    }

    /** Returns a directory record that points at the directory whose extent is {@code block}. */
    private ByteBuffer directoryRecordAt(long block) throws IOException {
        ByteBuffer dot = readExtent(block, SECTOR);
        if ((dot.get(0) & 0xFF) < 34) {
            throw new IOException("corrupt relocated directory at block " + block);
        }
        return slice(dot, 0, dot.get(0) & 0xFF);
    }

    private String plainName(ByteBuffer record, int nameLength) {
        String name;
        if (joliet) {
            byte[] bytes = new byte[nameLength];
            record.get(33, bytes);
            name = new String(bytes, StandardCharsets.UTF_16BE);
        } else {
            name = ascii(record, 33, nameLength).toLowerCase(Locale.ROOT);
        }
        int version = name.lastIndexOf(';');
        if (version >= 0) {
            name = name.substring(0, version);
        }
        if (name.endsWith(".") && !joliet) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    /** Parses the SUSP entries of a directory record, following continuation areas. */
    private RockRidge rockRidge(ByteBuffer record) throws IOException {
        RockRidge.Builder builder = new RockRidge.Builder();
        ByteBuffer area = systemUse(record);
        int start = Math.min(susSkip, area.limit());
        area = slice(area, start, area.limit() - start);
        int continuations = 0;
        while (area != null) {
            ByteBuffer next = null;
            int position = 0;
            while (position + 4 <= area.limit()) {
                String signature = ascii(area, position, 2);
                int length = area.get(position + 2) & 0xFF;
                if (length < 4 || position + length > area.limit()) {
                    break;
                }
                ByteBuffer entry = slice(area, position, length);
                if (signature.equals("CE") && length >= 28) {
                    long block = entry.getInt(4) & 0xFFFF_FFFFL;
                    long offset = entry.getInt(12) & 0xFFFF_FFFFL;
                    long size = entry.getInt(20) & 0xFFFF_FFFFL;
                    if (++continuations > 64 || size > SECTOR * 8) {
                        throw new IOException("corrupt Rock Ridge continuation area at block " + block);
                    }
                    ByteBuffer continuation = read(channel, imageSize, block * blockSize + offset, (int) size);
                    if (continuation == null) {
                        throw new IOException("truncated: Rock Ridge continuation area at block " + block
                                + " lies past the end of the image");
                    }
                    next = continuation;
                } else if (signature.equals("ST")) {
                    break;
                } else {
                    builder.add(signature, entry);
                }
                position += length;
            }
            area = next;
        }
        return builder.build();
    }

    private static ByteBuffer systemUse(ByteBuffer record) {
        int nameLength = record.get(32) & 0xFF;
        int start = 33 + nameLength + (nameLength % 2 == 0 ? 1 : 0);
        int length = Math.max(0, record.limit() - start);
        return slice(record, Math.min(start, record.limit()), length);
    }

    private ByteBuffer readExtent(long block, long length) throws IOException {
        if (length > Integer.MAX_VALUE) {
            throw new IOException("directory at block " + block + " is larger than 2 GiB");
        }
        ByteBuffer data = read(channel, imageSize, block * blockSize, (int) length);
        if (data == null) {
            throw new IOException("truncated: directory at block " + block + " lies past the end of the image");
        }
        return data;
    }

    /** Reads {@code length} bytes at {@code offset}, or returns null if the file ends before. */
    private static ByteBuffer read(FileChannel channel, long size, long offset, int length) throws IOException {
        if (offset < 0 || offset + length > size) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                return null;
            }
        }
        return buffer.flip();
    }

    private static ByteBuffer slice(ByteBuffer buffer, int offset, int length) {
        return buffer.slice(offset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String ascii(ByteBuffer buffer, int offset, int length) {
        if (offset + length > buffer.limit()) {
            return "";
        }
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** Returns the 7-byte recording date of a directory record. */
    private static FileTime recordingTime(ByteBuffer record) {
        int year = 1900 + (record.get(18) & 0xFF);
        int offsetQuarters = record.get(24);
        try {
            LocalDateTime time = LocalDateTime.of(year, record.get(19), record.get(20), record.get(21),
                    record.get(22), record.get(23));
            return FileTime.from(time.toInstant(ZoneOffset.ofTotalSeconds(offsetQuarters * 15 * 60)));
        } catch (java.time.DateTimeException e) {
            return FileTime.fromMillis(0);
        }
    }

    private record Directory(ByteBuffer record, String path, RockRidge rr, FileTime mtime) {
    }

    /** A file whose records are still being collected, one per extent. */
    private static final class Multi {
        final String path;
        final RockRidge rr;
        final FileTime mtime;
        final List<long[]> extents = new ArrayList<>();

        Multi(String path, RockRidge rr, FileTime mtime) {
            this.path = path;
            this.rr = rr;
            this.mtime = mtime;
        }
    }
}
