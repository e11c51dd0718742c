package org.kmview.umfuse;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.commons.compress.archivers.ArchiveException;
import org.apache.commons.compress.archivers.ArchiveStreamFactory;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * A tar, cpio or ar archive, optionally compressed, recognised by its content. A compressed
 * archive is decompressed once, at mount, into a work file, because entry content is read at
 * random offsets. The archive's entries are then materialised from that file.
 */
final class TarArchive implements Archive {

    private final TarFile tarFile;
    private final List<ArchiveEntry> entries;

    private TarArchive(TarFile tarFile, List<ArchiveEntry> entries) {
        this.tarFile = tarFile;
        this.entries = entries;
    }

    /**
     * Reads the index of the archive {@code source}.
     *
     * @param workFiles receives the decompressed copy, which the caller deletes at unmount
     * @throws IOException if the content is neither tar, cpio nor ar, compressed or not, or is
     *         truncated or corrupt
     */
    static TarArchive open(Path source, Path tempParent, List<Path> workFiles, MountLog log) throws IOException {
        Path data = source;
        String compressor = detectCompressor(source);
        if (compressor != null) {
            data = Files.createTempFile(tempParent, "kmview-umfuse-", ".decompressed");
            workFiles.add(data);
            decompress(source, compressor, data);
            String name = compressor;
            log.event(() -> "decompressed " + name + " data of " + source);
        }

        String format = detectArchiver(data, compressor);
        long dataSize = Files.size(data);
        return switch (format) {
            case ArchiveStreamFactory.TAR -> openTar(data, dataSize, log);
            case ArchiveStreamFactory.CPIO -> new TarArchive(null, readCpio(data, dataSize, log));
            case ArchiveStreamFactory.AR -> new TarArchive(null, readAr(data, dataSize));
            default -> throw new IOException("content is a " + format + " archive; umfusetar reads tar, cpio and ar"
                    + (format.equals(ArchiveStreamFactory.ZIP) || format.equals(ArchiveStreamFactory.JAR)
                    ? " (mount zip files with -t umfusezip)" : ""));
        };
    }

    /** Returns the compressor name commons-compress detects at the start of {@code file}, or null. */
    private static String detectCompressor(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return CompressorStreamFactory.detect(in);
        } catch (CompressorException e) {
            return null;
        }
    }

    private static void decompress(Path source, String compressor, Path target) throws IOException {
        CompressorStreamFactory factory = new CompressorStreamFactory(true);
        try (InputStream in = factory.createCompressorInputStream(compressor,
                     new BufferedInputStream(Files.newInputStream(source)));
             OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        } catch (CompressorException e) {
            throw new IOException("cannot decompress " + compressor + " data: " + e.getMessage(), e);
        }
    }

    private static String detectArchiver(Path data, String compressor) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(data))) {
            return ArchiveStreamFactory.detect(in);
        } catch (ArchiveException e) {
            throw new IOException((compressor == null ? "content" : "the " + compressor + "-decompressed content")
                    + " is not a tar, cpio or ar archive", e);
        }
    }

    private static TarArchive openTar(Path data, long dataSize, MountLog log) throws IOException {
        TarFile tarFile = new TarFile(data, StandardCharsets.UTF_8.name());
        try {
            List<ArchiveEntry> entries = new ArrayList<>();
            for (TarArchiveEntry tarEntry : tarFile.getEntries()) {
                ArchiveEntry entry = tarEntryOf(tarFile, tarEntry, dataSize, log);
                if (entry != null) {
                    entries.add(entry);
                }
            }
            return new TarArchive(tarFile, List.copyOf(entries));
        } catch (IOException | RuntimeException e) {
            tarFile.close();
            throw e;
        }
    }

    private static ArchiveEntry tarEntryOf(TarFile tarFile, TarArchiveEntry tarEntry,
                                                            long dataSize, MountLog log) throws IOException {
        String name = tarEntry.getName();
        int mode = tarEntry.getMode() & 07777;
        FileTime mtime = tarEntry.getLastModifiedTime();
        ArchiveEntry entry;
        if (tarEntry.isFIFO() || tarEntry.isCharacterDevice() || tarEntry.isBlockDevice()) {
            // Checked first: commons-compress counts a FIFO as a file (isFile() is true for it).
            log.error("skipped entry " + name + ": devices, FIFOs and other special files are not shown");
            return null;
        } else if (tarEntry.isDirectory()) {
            entry = ArchiveEntry.directory(name, mode, mtime);
        } else if (tarEntry.isSymbolicLink()) {
            entry = ArchiveEntry.symlink(name, tarEntry.getLinkName(), mtime);
        } else if (tarEntry.isLink()) {
            entry = new ArchiveEntry(name, EntryKind.HARD_LINK, 0, mode, mtime, null,
                    ArchiveEntry.UNKNOWN, ArchiveEntry.UNKNOWN,
                    tarEntry.getLinkName(), null);
        } else if (tarEntry.isFile()) {
            long size = tarEntry.isSparse() ? tarEntry.getRealSize() : tarEntry.getSize();
            if (tarEntry.getDataOffset() + tarEntry.getSize() > dataSize) {
                throw new IOException("truncated: entry " + name + " needs " + tarEntry.getSize()
                        + " bytes from offset " + tarEntry.getDataOffset() + " but the archive has " + dataSize);
            }
            entry = ArchiveEntry.file(name, size, mode, mtime,
                    () -> tarFile.getInputStream(tarEntry));
        } else {
            log.error("skipped entry " + name + ": devices, FIFOs and other special files are not shown");
            return null;
        }
        return entry.withOwner(tarEntry.getLongUserId(), tarEntry.getLongGroupId(), tarEntry.getLastAccessTime());
    }

    /**
     * Reads a cpio index. Entry data lies in one piece right after each header, so content is a
     * slice of {@code data} from the count of bytes the stream consumed up to the entry's data.
     * Hard links are grouped by device and inode. The member that carries the data becomes the
     * file and the others hard links to it, because the new ASCII format stores the data with the
     * last member only.
     */
    private static List<ArchiveEntry> readCpio(Path data, long dataSize, MountLog log)
            throws IOException {
        List<ArchiveEntry> entries = new ArrayList<>();
        Map<String, List<ArchiveEntry>> linkGroups = new LinkedHashMap<>();
        CountingInputStream counter = new CountingInputStream(new BufferedInputStream(Files.newInputStream(data)));
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(counter, StandardCharsets.UTF_8.name())) {
            for (CpioArchiveEntry cpioEntry = in.getNextEntry(); cpioEntry != null; cpioEntry = in.getNextEntry()) {
                String name = cpioEntry.getName();
                int mode = (int) cpioEntry.getMode() & 07777;
                FileTime mtime = FileTime.from(cpioEntry.getTime(), TimeUnit.SECONDS);
                long offset = counter.count();
                long size = cpioEntry.getSize();
                checkBounds(name, offset, size, dataSize);

                ArchiveEntry entry;
                if (cpioEntry.isDirectory()) {
                    entry = ArchiveEntry.directory(name, mode, mtime);
                } else if (cpioEntry.isSymbolicLink()) {
                    String target = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    entry = ArchiveEntry.symlink(name, target, mtime);
                } else if (cpioEntry.isRegularFile()) {
                    entry = ArchiveEntry.file(name, size, mode, mtime,
                            () -> FileSlice.open(data, offset, size));
                } else {
                    log.error("skipped entry " + name + ": devices, FIFOs and other special files are not shown");
                    continue;
                }
                entry = entry.withOwner(cpioEntry.getUID(), cpioEntry.getGID(), null);
                if (cpioEntry.isRegularFile() && cpioEntry.getNumberOfLinks() > 1) {
                    linkGroups.computeIfAbsent(fileId(cpioEntry), id -> new ArrayList<>()).add(entry);
                } else {
                    entries.add(entry);
                }
            }
        }
        for (List<ArchiveEntry> group : linkGroups.values()) {
            entries.addAll(resolveLinkGroup(group));
        }
        return entries;
    }

    /** Returns the device and inode of a cpio entry; the old formats store one device number. */
    private static String fileId(CpioArchiveEntry entry) {
        boolean newFormat = (entry.getFormat() & CpioConstants.FORMAT_NEW_MASK) != 0;
        String device = newFormat ? entry.getDeviceMaj() + "," + entry.getDeviceMin()
                : Long.toString(entry.getDevice());
        return device + ":" + entry.getInode();
    }

    private static List<ArchiveEntry> resolveLinkGroup(List<ArchiveEntry> group) {
        ArchiveEntry file = group.get(0);
        for (ArchiveEntry member : group) {
            if (member.size() > 0) {
                file = member;
            }
        }
        List<ArchiveEntry> resolved = new ArrayList<>();
        resolved.add(file);
        for (ArchiveEntry member : group) {
            if (member != file) {
                resolved.add(new ArchiveEntry(member.path(), EntryKind.HARD_LINK, 0, member.mode(),
                        member.mtime(), null, member.uid(), member.gid(), file.path(), null));
            }
        }
        return resolved;
    }

    /** Reads an ar index; every member is a regular file whose data is a slice of {@code data}. */
    private static List<ArchiveEntry> readAr(Path data, long dataSize) throws IOException {
        List<ArchiveEntry> entries = new ArrayList<>();
        CountingInputStream counter = new CountingInputStream(new BufferedInputStream(Files.newInputStream(data)));
        try (ArArchiveInputStream in = new ArArchiveInputStream(counter)) {
            for (ArArchiveEntry arEntry = in.getNextEntry(); arEntry != null; arEntry = in.getNextEntry()) {
                String name = arEntry.getName();
                long offset = counter.count();
                long size = arEntry.getLength();
                checkBounds(name, offset, size, dataSize);
                int mode = arEntry.getMode() & 07777;
                FileTime mtime = FileTime.from(arEntry.getLastModified(), TimeUnit.SECONDS);
                entries.add(ArchiveEntry.file(name, size, mode == 0 ? 0644 : mode, mtime,
                        () -> FileSlice.open(data, offset, size))
                        .withOwner(arEntry.getUserId(), arEntry.getGroupId(), null));
            }
        }
        return entries;
    }

    private static void checkBounds(String name, long offset, long size, long dataSize) throws IOException {
        if (offset + size > dataSize) {
            throw new IOException("truncated: entry " + name + " needs " + size + " bytes from offset " + offset
                    + " but the archive has " + dataSize);
        }
    }

    /** Counts the bytes an archive stream consumes, so an entry's data offset is known exactly. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(n);
            count += skipped;
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    @Override
    public List<ArchiveEntry> entries() {
        return entries;
    }

    @Override
    public void close() throws IOException {
        if (tarFile != null) {
            tarFile.close();
        }
    }
}
