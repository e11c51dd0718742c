package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;

import org.apache.commons.compress.archivers.zip.Zip64Mode;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * A zip archive, read and written with commons-compress, because its entries carry the Unix
 * mode and file type that Info-ZIP stores: symbolic links stay links and execute bits survive.
 * The JDK's zip file system (JDK 17) shows a stored symbolic link as a regular file whose
 * content is the target.
 */
final class ZipArchive implements Archive {

    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;

    private final Path source;
    private final ZipFile zip;
    private final List<ArchiveEntry> entries;

    private ZipArchive(Path source, ZipFile zip, List<ArchiveEntry> entries) {
        this.source = source;
        this.zip = zip;
        this.entries = entries;
    }

    /**
     * Reads the central directory of the zip file {@code source}.
     *
     * @throws IOException if the file is not a zip archive, is truncated or is corrupt
     */
    static ZipArchive open(Path source) throws IOException {
        ZipFile zip = ZipFile.builder().setPath(source).get();
        try {
            List<ArchiveEntry> entries = new ArrayList<>();
            for (ZipArchiveEntry zipEntry : Collections.list(zip.getEntriesInPhysicalOrder())) {
                entries.add(entryOf(zip, zipEntry));
            }
            return new ZipArchive(source, zip, List.copyOf(entries));
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static ArchiveEntry entryOf(ZipFile zip, ZipArchiveEntry zipEntry) throws IOException {
        String name = zipEntry.getName();
        FileTime mtime = zipEntry.getLastModifiedTime();
        int unixMode = zipEntry.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? zipEntry.getUnixMode() : 0;
        int mode = unixMode == 0 ? ArchiveEntry.UNKNOWN : unixMode & 07777;

        ArchiveEntry entry;
        if (zipEntry.isUnixSymlink()) {
            entry = ArchiveEntry.symlink(name, zip.getUnixSymlink(zipEntry), mtime);
        } else if (zipEntry.isDirectory()) {
            entry = ArchiveEntry.directory(name, mode, mtime);
        } else {
            if (zipEntry.getSize() < 0) {
                throw new IOException("entry " + name + " has no size in the central directory");
            }
            entry = ArchiveEntry.file(name, zipEntry.getSize(), mode, mtime, () -> openEntry(zip, zipEntry));
        }
        return entry.withOwner(ArchiveEntry.UNKNOWN, ArchiveEntry.UNKNOWN, zipEntry.getLastAccessTime());
    }

    private static InputStream openEntry(ZipFile zip, ZipArchiveEntry zipEntry) throws IOException {
        if (!zip.canReadEntryData(zipEntry)) {
            throw new IOException("entry " + zipEntry.getName() + " uses compression method "
                    + zipEntry.getMethod() + " or encryption, which commons-compress cannot read");
        }
        InputStream data = zip.getInputStream(zipEntry);
        long expected = zipEntry.getCrc();
        if (expected < 0) {
            return data;
        }
        // commons-compress does not check the CRC of ZipFile entries, as unzip -t does.
        return new java.util.zip.CheckedInputStream(data, new java.util.zip.CRC32()) {
            private boolean checked;

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int count = super.read(buffer, offset, length);
                if (count < 0 && !checked) {
                    checked = true;
                    long actual = getChecksum().getValue();
                    if (actual != expected) {
                        throw new IOException("entry " + zipEntry.getName() + " has CRC " + Long.toHexString(actual)
                                + " but the zip records " + Long.toHexString(expected) + ": the archive is corrupt");
                    }
                }
                return count;
            }
        };
    }

    @Override
    public List<ArchiveEntry> entries() {
        return entries;
    }

    /** Writes a new zip of the whole tree and moves it over the source. */
    @Override
    public void writeBack(List<TreeNode> tree, List<String> removed) throws IOException {
        HostFiles.replaceAtomically(source, newImage -> write(newImage, tree));
    }

    /** Writes {@code tree} as a zip file with Unix modes, symbolic links and modification times. */
    static void write(Path target, List<TreeNode> tree) throws IOException {
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(target)) {
            out.setUseZip64(Zip64Mode.AsNeeded);
            for (TreeNode node : tree) {
                ArchiveEntry entry = node.entry();
                switch (entry.kind()) {
                    case DIRECTORY -> {
                        ZipArchiveEntry zipEntry = newEntry(entry.path() + "/", S_IFDIR | entry.mode(), entry);
                        zipEntry.setMethod(ZipEntry.STORED);
                        out.putArchiveEntry(zipEntry);
                    }
                    case SYMLINK -> {
                        ZipArchiveEntry zipEntry = newEntry(entry.path(), S_IFLNK | 0777, entry);
                        zipEntry.setMethod(ZipEntry.STORED);
                        out.putArchiveEntry(zipEntry);
                        out.write(entry.linkTarget().getBytes(StandardCharsets.UTF_8));
                    }
                    case FILE, HARD_LINK -> {
                        ZipArchiveEntry zipEntry = newEntry(entry.path(), S_IFREG | entry.mode(), entry);
                        zipEntry.setMethod(ZipEntry.DEFLATED);
                        out.putArchiveEntry(zipEntry);
                        try (InputStream in = entry.content().open()) {
                            in.transferTo(out);
                        }
                    }
                }
                out.closeArchiveEntry();
            }
            out.finish();
        }
    }

    private static ZipArchiveEntry newEntry(String name, int unixMode, ArchiveEntry entry) {
        ZipArchiveEntry zipEntry = new ZipArchiveEntry(name);
        zipEntry.setUnixMode(unixMode);
        zipEntry.setLastModifiedTime(entry.mtime());
        return zipEntry;
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
