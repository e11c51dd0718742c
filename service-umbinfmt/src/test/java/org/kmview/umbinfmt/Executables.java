package org.kmview.umbinfmt;

import org.kmview.spi.Executable;

/** Builds executables for matching tests. */
final class Executables {

    private Executables() {
    }

    /** Returns an executable whose header contains {@code bytes} at {@code offset} and zeros elsewhere. */
    static Executable withHeader(String filename, String hostPath, int offset, int... bytes) {
        byte[] header = new byte[Executable.HEADER_SIZE];
        for (int i = 0; i < bytes.length; i++) {
            header[offset + i] = (byte) bytes[i];
        }
        return new Executable(filename, filename, hostPath, header);
    }

    /** Returns an executable named {@code filename} with an all-zero header. */
    static Executable named(String filename) {
        return withHeader(filename, filename, 0);
    }
}
