package org.kmview.spi;

import java.util.Objects;

/**
 * A file a process of the view asked to execute, which the kernel cannot run itself: neither an
 * ELF binary of the host's architecture nor a {@code #!} script.
 *
 * @param filename the path as the process passed it to execve (for execveat of a descriptor,
 *        {@code /dev/fd/N} or {@code /dev/fd/N/PATH}, as the kernel names it)
 * @param viewPath the absolute path of the file in the view
 * @param hostPath the host path of the file, which the kernel opens
 * @param header the first {@link #HEADER_SIZE} bytes of the file, padded with zero bytes when the
 *        file is shorter
 */
public record Executable(String filename, String viewPath, String hostPath, byte[] header) {

    /** How many bytes of the file {@link #header} holds, as many as the kernel reads. */
    public static final int HEADER_SIZE = 256;

    /** Checks that no component is null and that the header is {@link #HEADER_SIZE} bytes. */
    public Executable {
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(viewPath, "viewPath");
        Objects.requireNonNull(hostPath, "hostPath");
        Objects.requireNonNull(header, "header");
        if (header.length != HEADER_SIZE) {
            throw new IllegalArgumentException("header must be " + HEADER_SIZE + " bytes, not " + header.length);
        }
    }
}
