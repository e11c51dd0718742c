package org.kmview.umfuse;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * One umfuse file system type: opens the source in its format, then builds the mount's host tree
 * in a new temporary directory below {@code tempParent}.
 */
final class UmfuseType implements FileSystemType {

    private final String name;
    private final Format format;
    private final ServiceContext context;
    private final Path tempParent;

    UmfuseType(String name, Format format, ServiceContext context, Path tempParent) {
        this.name = name;
        this.format = format;
        this.context = context;
        this.tempParent = tempParent;
    }

    /** Returns every type the service registers. */
    static List<UmfuseType> all(ServiceContext context, Path tempParent) {
        return List.of(
                new UmfuseType("umfusezip", Format.ZIP, context, tempParent),
                new UmfuseType("umfusejar", Format.ZIP, context, tempParent),
                new UmfuseType("umfusetar", Format.TAR, context, tempParent),
                new UmfuseType("umfuseiso9660", Format.ISO9660, context, tempParent),
                new UmfuseType("umfusefat", Format.FAT, context, tempParent),
                new UmfuseType("umfusemem", Format.MEM, context, tempParent),
                new UmfuseType("umfusenio", Format.NIO, context, tempParent));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public VirtualMount mount(MountRequest request) throws ServiceException {
        MountOptions options = MountOptions.parse(name, format, request.mountPoint(), request.options());
        MountLog log = new MountLog(context, name, request.mountPoint(), options.debug());

        if (format == Format.NIO) {
            NioTree tree = NioTree.open(name, request, options, log);
            boolean readWrite = options.readWrite(tree.writable());
            if (readWrite && !tree.writable()) {
                tree.closeQuietly();
                throw new ServiceException(Errno.EROFS, name + " source " + request.source()
                        + " is read-only in provider " + tree.scheme() + "; mount it with -o ro");
            }
            return build(tree, request.source(), options, readWrite, log, new ArrayList<>());
        }
        if (format == Format.MEM) {
            return build(new MemArchive(), request.source(), options, options.readWrite(true), log,
                    new ArrayList<>());
        }

        Path source = Path.of(request.hostSource().orElseThrow(() -> new ServiceException(Errno.ENOENT,
                name + " source " + request.source() + " does not exist; give an existing " + format.source())));
        if (!Files.isRegularFile(source)) {
            throw new ServiceException(Errno.EINVAL, name + " source " + request.source()
                    + " is not a regular file; give a " + format.source());
        }
        boolean readWrite = readWrite(source, request, options);
        List<Path> workFiles = new ArrayList<>();
        Archive archive = open(source, readWrite, workFiles, request, log);
        return build(archive, source.toString(), options, readWrite, log, workFiles);
    }

    /**
     * Decides read-write or read-only: the option if given, else the format's default, which
     * falls back to read-only when the source's directory cannot take the new image.
     */
    private boolean readWrite(Path source, MountRequest request, MountOptions options) throws ServiceException {
        boolean writable = format.writable() && Files.isWritable(source)
                && Files.isWritable(source.toAbsolutePath().getParent());
        boolean readWrite = options.readWrite(writable);
        if (readWrite && !writable) {
            throw new ServiceException(Errno.EACCES, name + " source " + request.source()
                    + " or its directory is not writable, so changes could not be written back; mount with -o ro");
        }
        return readWrite;
    }

    private Archive open(Path source, boolean readWrite, List<Path> workFiles, MountRequest request, MountLog log)
            throws ServiceException {
        try {
            return switch (format) {
                case ZIP -> ZipArchive.open(source);
                case TAR -> TarArchive.open(source, tempParent, workFiles, log);
                case ISO9660 -> IsoImage.open(source);
                case FAT -> FatImage.open(source, log);
                case MEM, NIO, FUSE -> throw new IllegalStateException(format + " has no source file");
            };
        } catch (NoSuchFileException e) {
            throw new ServiceException(Errno.ENOENT, name + " source " + request.source() + " does not exist");
        } catch (AccessDeniedException e) {
            throw new ServiceException(Errno.EACCES, name + " source " + request.source() + " is not readable");
        } catch (IOException | RuntimeException e) {
            deleteWorkFiles(workFiles);
            String fault = e.getMessage() == null ? e.toString() : e.getMessage();
            log.error("cannot mount " + source + ": " + fault);
            throw new ServiceException(Errno.EINVAL, source + ": not a valid " + format.source() + ": " + fault);
        }
    }

    private UmfuseMount build(Archive archive, String sourceName, MountOptions options, boolean readWrite,
                              MountLog log, List<Path> workFiles) throws ServiceException {
        try {
            return UmfuseMount.create(tempParent, archive, sourceName, options, readWrite, log, workFiles);
        } catch (IOException | RuntimeException e) {
            try {
                archive.close();
            } catch (IOException closeFailure) {
                log.error("failed to close " + sourceName + ": " + closeFailure);
            }
            deleteWorkFiles(workFiles);
            log.error("cannot build the tree of " + sourceName + " in " + tempParent + ": " + e);
            throw new ServiceException(Errno.EIO, "cannot build the tree of " + sourceName + " in " + tempParent
                    + ": " + e.getMessage());
        }
    }

    private static void deleteWorkFiles(List<Path> workFiles) {
        for (Path file : workFiles) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // A leftover work file in the temporary directory is harmless.
            }
        }
    }
}
