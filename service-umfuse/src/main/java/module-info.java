/**
 * The umfuse service: archives and disk images (zip, tar, cpio, ar, iso9660, FAT, any java.nio
 * file system) shown as directory trees ({@code viewmount -t umfuseTYPE SOURCE DIR}), without root,
 * and unmodified FUSE daemons served through a virtual {@code /dev/fuse}.
 */
module kmview.service.umfuse {
    requires kmview.spi;
    requires org.apache.commons.compress;
    requires org.tukaani.xz;
    requires fat32.lib;
    requires com.sun.jna;

    opens org.kmview.umfuse.nativeio to com.sun.jna;

    uses java.nio.file.spi.FileSystemProvider;

    provides org.kmview.spi.ViewService with org.kmview.umfuse.UmfuseService;
}
