package org.kmview.spi;

/**
 * A file below a mount whose writes are commands to its service, as the files of
 * {@code /proc/sys/fs/binfmt_misc} are. kmview hands the service each write(2), writev(2) or
 * pwrite(2) on such a file instead of letting the kernel write it, and the caller sees the count
 * or the error the service returns. Reads go to the host file the mount maps the path to, so the
 * service keeps that file's content up to date.
 */
public interface ControlFile {

    /**
     * Serves one write to the file.
     *
     * @param data the bytes the process wrote, whole
     * @param caller the process that wrote them
     * @return the byte count the write returns to the process, usually {@code data.length}
     * @throws ServiceException with the errno the write returns instead
     */
    int write(byte[] data, Caller caller) throws ServiceException;

    /**
     * Returns the errno a read of the file fails with now, or empty to let the kernel read the
     * host file. kmview calls it only for reads by processes that opened a control file for writing.
     * A FUSE device fails reads with ENODEV once its file system is unmounted.
     */
    default java.util.OptionalInt readError() {
        return java.util.OptionalInt.empty();
    }

    /** The process that wrote to a control file, as far as a service needs to know it. */
    interface Caller {

        /** Returns the process id. */
        int pid();

        /**
         * Resolves a path in the process's view, relative to its working directory
         * and following symbolic links, to the host path the kernel would open.
         *
         * @return the host path, or empty if the path does not exist in the view
         */
        java.util.Optional<String> hostPath(String path);
    }
}
