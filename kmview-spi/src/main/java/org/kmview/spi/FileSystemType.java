package org.kmview.spi;

/**
 * A file system type that a service serves, such as {@code viewfs}.
 */
public interface FileSystemType {

    /** Returns the type name given to {@code mount -t}. */
    String name();

    /**
     * Mounts a file system of this type in the view.
     *
     * @param request the source, mount point and options of the {@code mount(2)} call
     * @return the new mount; kmview places it at {@code request.mountPoint()}
     * @throws ServiceException with the errno that {@code mount(2)} returns to the caller
     */
    VirtualMount mount(MountRequest request) throws ServiceException;
}
