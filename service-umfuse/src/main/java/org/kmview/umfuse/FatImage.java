package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.lang.reflect.Field;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import de.waldheinz.fs.FsDirectoryEntry;
import de.waldheinz.fs.fat.FatFile;
import de.waldheinz.fs.fat.FatFileSystem;
import de.waldheinz.fs.fat.FatLfnDirectory;
import de.waldheinz.fs.fat.FatLfnDirectoryEntry;
import de.waldheinz.fs.fat.FatType;
import de.waldheinz.fs.fat.SuperFloppyFormatter;
import de.waldheinz.fs.util.FileDisk;

/**
 * A FAT12, FAT16 or FAT32 image without a partition table, read and written with fat32-lib.
 * FAT stores no Unix modes: files show as {@code 0644} ({@code 0444} with the read-only
 * attribute) and directories as {@code 0755}. Write-back formats a new image of the same size,
 * FAT type and volume label and copies the tree into it.
 */
final class FatImage implements Archive {

    private static final int SECTOR_SIZE = 512;
    private static final int CHUNK = 1 << 16;
    private static final Charset SHORT_NAME_CHARSET = Charset.isSupported("IBM437")
            ? Charset.forName("IBM437") : StandardCharsets.ISO_8859_1;

    private final Path source;
    private final FileDisk disk;
    private final FatFileSystem fileSystem;
    private final MountLog log;
    private final List<ArchiveEntry> entries;

    private FatImage(Path source, FileDisk disk, FatFileSystem fileSystem, MountLog log, List<ArchiveEntry> entries) {
        this.source = source;
        this.disk = disk;
        this.fileSystem = fileSystem;
        this.log = log;
        this.entries = entries;
    }

    /**
     * Reads the directory tree of the FAT image {@code source}, which stays open read-only until
     * {@link #close}.
     *
     * @throws IOException if the file has no FAT boot sector, is shorter than the sector count
     *         it declares, or its directories are corrupt
     */
    static FatImage open(Path source, MountLog log) throws IOException {
        checkBootSector(source);
        FileDisk disk = new FileDisk(source.toFile(), true);
        try {
            FatFileSystem fileSystem = FatFileSystem.read(disk, true);
            List<ArchiveEntry> entries = new ArrayList<>();
            walk(fileSystem.getRoot(), "", entries);
            return new FatImage(source, disk, fileSystem, log, List.copyOf(entries));
        } catch (IOException | RuntimeException e) {
            disk.close();
            throw e;
        }
    }

    /** Checks the boot sector signature and that the image is as long as its sector count declares. */
    private static void checkBootSector(Path source) throws IOException {
        ByteBuffer sector = ByteBuffer.allocate(SECTOR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long size;
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ)) {
            size = channel.size();
            while (sector.hasRemaining() && channel.read(sector) >= 0) {
                // Read until the sector is full or the file ends.
            }
        }
        if (sector.position() < SECTOR_SIZE || sector.get(510) != 0x55 || sector.get(511) != (byte) 0xAA) {
            throw new IOException("no FAT boot sector: the signature 55 AA is missing at offset 510");
        }
        int bytesPerSector = sector.getShort(11) & 0xFFFF;
        long sectors = sector.getShort(19) & 0xFFFF;
        if (sectors == 0) {
            sectors = sector.getInt(32) & 0xFFFF_FFFFL;
        }
        if (bytesPerSector == 0 || sectors == 0) {
            throw new IOException("no FAT boot sector: bytes per sector " + bytesPerSector + ", sector count "
                    + sectors + " (a disk image with a partition table must be split into its partitions first)");
        }
        if (size < sectors * bytesPerSector) {
            throw new IOException("truncated: the boot sector declares " + sectors * bytesPerSector
                    + " bytes but the file has " + size);
        }
    }

    private static void walk(FatLfnDirectory directory, String parent, List<ArchiveEntry> entries)
            throws IOException {
        for (FsDirectoryEntry child : directory) {
            FatLfnDirectoryEntry entry = (FatLfnDirectoryEntry) child;
            String name = displayName(entry);
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            String path = parent.isEmpty() ? name : parent + "/" + name;
            FileTime mtime = FileTime.fromMillis(entry.getLastModified());
            if (entry.isDirectory()) {
                entries.add(ArchiveEntry.directory(path, ArchiveEntry.UNKNOWN, mtime));
                walk(entry.getDirectory(), path, entries);
            } else if (entry.isFile()) {
                FatFile file = entry.getFile();
                int mode = entry.isReadOnlyFlag() ? 0444 : ArchiveEntry.UNKNOWN;
                entries.add(ArchiveEntry.file(path, file.getLength(), mode, mtime, () -> new FatFileStream(file)));
            }
        }
    }

    /**
          * Returns the name Linux shows for an entry. Windows NT and mtools store a name that fits 8.3
     * in one case as a short name only. Bits 3 (base) and 4 (extension) of byte 12 of the entry
     * then mark the parts that are lower case. fat32-lib 0.6.5 ignores these bits and keeps the
     * entry bytes private, so they are read by reflection. If that fails, the upper-case short
     * name is shown.
     */
    private static String displayName(FatLfnDirectoryEntry entry) {
        String name = entry.getName();
        byte[] bytes = shortEntryBytes(entry);
        if (bytes == null) {
            return name;
        }
        // fat32-lib shows each non-ASCII byte of a short name as '?'; Linux decodes them with
        // code page 437.
        String asciiBase = asciiWithQuestionMarks(bytes, 0, 8).trim();
        String asciiExtension = asciiWithQuestionMarks(bytes, 8, 3).trim();
        if (!name.equals(asciiExtension.isEmpty() ? asciiBase : asciiBase + "." + asciiExtension)) {
            return name;
        }
        String base = new String(bytes, 0, 8, SHORT_NAME_CHARSET).trim();
        String extension = new String(bytes, 8, 3, SHORT_NAME_CHARSET).trim();
        int caseFlags = bytes[12];
        String shownBase = (caseFlags & 0x08) != 0 ? base.toLowerCase(Locale.ROOT) : base;
        String shownExtension = (caseFlags & 0x10) != 0 ? extension.toLowerCase(Locale.ROOT) : extension;
        return shownExtension.isEmpty() ? shownBase : shownBase + "." + shownExtension;
    }

    private static String asciiWithQuestionMarks(byte[] bytes, int offset, int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = offset; i < offset + length; i++) {
            text.append(bytes[i] < 0 ? '?' : (char) bytes[i]);
        }
        return text.toString();
    }

    /** Returns the 32 bytes of the short directory entry behind {@code entry}, or null if unreachable. */
    private static byte[] shortEntryBytes(FatLfnDirectoryEntry entry) {
        try {
            Field realEntry = FatLfnDirectoryEntry.class.getDeclaredField("realEntry");
            realEntry.setAccessible(true);
            Object shortEntry = realEntry.get(entry);
            Field data = shortEntry.getClass().getDeclaredField("data");
            data.setAccessible(true);
            byte[] bytes = (byte[]) data.get(shortEntry);
            return bytes.length >= 32 ? bytes : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public List<ArchiveEntry> entries() {
        return entries;
    }

    /** Formats a new image of the same size, FAT type and label, copies the tree and replaces the source. */
    @Override
    public void writeBack(List<TreeNode> tree, List<String> removed) throws IOException {
        long size = disk.getSize();
        FatType type = fileSystem.getFatType();
        String label = fileSystem.getVolumeLabel();
        HostFiles.replaceAtomically(source, newImage -> {
            FileDisk newDisk = FileDisk.create(newImage.toFile(), size);
            try {
                SuperFloppyFormatter formatter = SuperFloppyFormatter.get(newDisk).setFatType(type);
                if (label != null && !label.isBlank()) {
                    formatter.setVolumeLabel(label.strip());
                }
                FatFileSystem newFileSystem = formatter.format();
                copyTree(tree, newFileSystem);
                newFileSystem.close();
            } finally {
                newDisk.close();
            }
            padLabel(newImage);
        });
    }

    /**
     * Pads the volume label with spaces, in the boot sector and in the root directory's label
     * entry. fat32-lib 0.6.5 pads it with NUL bytes, which fsck.fat rejects and removes.
     */
    private static void padLabel(Path image) throws IOException {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer boot = ByteBuffer.allocate(SECTOR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(boot, 0);
            int bytesPerSector = boot.getShort(11) & 0xFFFF;
            int sectorsPerCluster = boot.get(13) & 0xFF;
            int reservedSectors = boot.getShort(14) & 0xFFFF;
            int fatCount = boot.get(16) & 0xFF;
            int rootEntries = boot.getShort(17) & 0xFFFF;
            long fatSectors = boot.getShort(22) & 0xFFFF;
            boolean fat32 = fatSectors == 0;
            if (fat32) {
                fatSectors = boot.getInt(36) & 0xFFFF_FFFFL;
            }
            long rootDirectorySectors = ((long) rootEntries * 32 + bytesPerSector - 1) / bytesPerSector;
            long firstDataSector = reservedSectors + fatCount * fatSectors + rootDirectorySectors;
            long rootOffset = fat32
                    ? (firstDataSector + ((boot.getInt(44) & 0xFFFF_FFFFL) - 2) * sectorsPerCluster) * bytesPerSector
                    : (reservedSectors + fatCount * fatSectors) * bytesPerSector;

            padWithSpaces(channel, fat32 ? 71 : 43, 11);
            ByteBuffer root = ByteBuffer.allocate(bytesPerSector);
            channel.read(root, rootOffset);
            for (int entry = 0; entry + 32 <= bytesPerSector && root.get(entry) != 0; entry += 32) {
                if ((root.get(entry + 11) & 0xFF) == 0x08) {
                    padWithSpaces(channel, rootOffset + entry, 11);
                    break;
                }
            }
        }
    }

    private static void padWithSpaces(FileChannel channel, long offset, int length) throws IOException {
        ByteBuffer field = ByteBuffer.allocate(length);
        channel.read(field, offset);
        for (int i = 0; i < length; i++) {
            if (field.get(i) == 0) {
                field.put(i, (byte) ' ');
            }
        }
        channel.write(field.flip(), offset);
    }

    private void copyTree(List<TreeNode> tree, FatFileSystem target) throws IOException {
        Map<String, FatLfnDirectory> directories = new HashMap<>();
        directories.put("", target.getRoot());
        for (TreeNode node : tree) {
            ArchiveEntry entry = node.entry();
            FatLfnDirectory parent = directories.get(EntryPaths.parent(entry.path()));
            if (parent == null) {
                continue;
            }
            switch (entry.kind()) {
                case DIRECTORY -> {
                    FatLfnDirectoryEntry directory = parent.addDirectory(entry.name());
                    directory.setLastModified(entry.mtime().toMillis());
                    directories.put(entry.path(), directory.getDirectory());
                }
                case FILE, HARD_LINK -> {
                    FatLfnDirectoryEntry file = parent.addFile(entry.name());
                    writeContent(entry, file.getFile());
                    file.setLastModified(entry.mtime().toMillis());
                    file.setReadOnlyFlag((entry.mode() & 0222) == 0);
                }
                case SYMLINK -> log.error("write-back skipped symbolic link " + entry.path()
                        + ": FAT has no symbolic links");
            }
        }
    }

    private static void writeContent(ArchiveEntry entry, FatFile file) throws IOException {
        file.setLength(entry.size());
        byte[] buffer = new byte[CHUNK];
        long offset = 0;
        try (InputStream in = entry.content().open()) {
            for (int n = in.readNBytes(buffer, 0, CHUNK); n > 0; n = in.readNBytes(buffer, 0, CHUNK)) {
                file.write(offset, ByteBuffer.wrap(buffer, 0, n));
                offset += n;
            }
        }
        if (offset != entry.size()) {
            throw new IOException("file " + entry.path() + " changed size while it was written back");
        }
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }

    /** Reads a FAT file from its start. */
    private static final class FatFileStream extends InputStream {
        private final FatFile file;
        private long position;

        FatFileStream(FatFile file) {
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            byte[] singleByte = new byte[1];
            return read(singleByte, 0, 1) < 0 ? -1 : singleByte[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            long remaining = file.getLength() - position;
            if (remaining <= 0) {
                return -1;
            }
            int count = (int) Math.min(length, remaining);
            file.read(position, ByteBuffer.wrap(buffer, offset, count));
            position += count;
            return count;
        }
    }
}
