package org.kmview.umfuse;

/** The image formats the service mounts, one per file system type family. */
enum Format {
    ZIP(true, ".zip, .jar or .war archive"),
    TAR(false, "tar, cpio or ar archive, optionally compressed with gzip, bzip2 or xz"),
    ISO9660(false, "ISO 9660 image with Rock Ridge or Joliet names"),
    FAT(true, "FAT12, FAT16 or FAT32 image without a partition table"),
    MEM(true, "none"),
    NIO(true, "URI of a java.nio file system, with -o provider=SCHEME"),
    FUSE(true, "FUSE daemon's file system");

    private final boolean writable;
    private final String source;

    Format(boolean writable, String source) {
        this.writable = writable;
        this.source = source;
    }

    /** Returns whether the format can be mounted read-write; for NIO the provider decides too. */
    boolean writable() {
        return writable;
    }

    /** Returns what the source of a mount of this format is, for error messages. */
    String source() {
        return source;
    }
}
