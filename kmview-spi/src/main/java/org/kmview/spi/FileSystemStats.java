package org.kmview.spi;

/**
 * The figures {@code statfs(2)} reports for a mount whose data lies elsewhere than its host
 * tree. A FUSE daemon's file system reports its own size and free space, not those of the
 * directory that contains kmview's private copy.
 *
 * @param type the file system magic number ({@code f_type})
 * @param blockSize the preferred I/O size ({@code f_bsize})
 * @param blocks the size in fragments ({@code f_blocks})
 * @param freeBlocks the free fragments ({@code f_bfree})
 * @param availableBlocks the free fragments an ordinary user may use ({@code f_bavail})
 * @param files the inodes ({@code f_files})
 * @param freeFiles the free inodes ({@code f_ffree})
 * @param nameMax the longest file name ({@code f_namelen})
 * @param fragmentSize the fragment size the block counts are in ({@code f_frsize})
 */
public record FileSystemStats(long type, long blockSize, long blocks, long freeBlocks, long availableBlocks,
                              long files, long freeFiles, long nameMax, long fragmentSize) {
}
