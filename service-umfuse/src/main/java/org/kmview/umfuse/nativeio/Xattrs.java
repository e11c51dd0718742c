package org.kmview.umfuse.nativeio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * The extended attributes of a host file, read and written without following a final symbolic
 * link, in every namespace the kernel lets the service's user reach.
 */
public final class Xattrs {

    private static final int ENODATA = 61;
    private static final int ERANGE = 34;
    private static final int ENOTSUP = 95;

    private Xattrs() {
    }

    /**
     * Returns every attribute of {@code path} by name, in the order the file system lists them;
     * empty where the file system has none or supports none.
     *
     * @throws IOException if the attributes cannot be read
     */
    public static Map<String, byte[]> read(String path) throws IOException {
        Map<String, byte[]> attributes = new LinkedHashMap<>();
        byte[] names = listNames(path);
        int start = 0;
        for (int i = 0; i < names.length; i++) {
            if (names[i] == 0) {
                if (i > start) {
                    String name = new String(names, start, i - start, StandardCharsets.UTF_8);
                    byte[] value = value(path, name);
                    if (value != null) {
                        attributes.put(name, value);
                    }
                }
                start = i + 1;
            }
        }
        return attributes;
    }

    /**
     * Sets the attribute {@code name} of {@code path} to {@code value}.
     *
     * @throws IOException if the kernel refuses, for example a {@code trusted.} name for an
     *         ordinary user
     */
    public static void set(String path, String name, byte[] value) throws IOException {
        try {
            Libc.INSTANCE.lsetxattr(path, name, value, value.length, 0);
        } catch (LastErrorException e) {
            throw new IOException("setxattr " + name + " on " + path + ": errno " + e.getErrorCode(), e);
        }
    }

    private static byte[] listNames(String path) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                long size = Libc.INSTANCE.llistxattr(path, null, 0);
                if (size <= 0) {
                    return new byte[0];
                }
                byte[] names = new byte[(int) size];
                long got = Libc.INSTANCE.llistxattr(path, names, size);
                return java.util.Arrays.copyOf(names, (int) got);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENOTSUP) {
                    return new byte[0];
                }
                if (e.getErrorCode() != ERANGE) {
                    throw new IOException("listxattr " + path + ": errno " + e.getErrorCode(), e);
                }
            }
        }
        throw new IOException("listxattr " + path + ": the list kept growing");
    }

    /** Returns the value of one attribute, or null if it went away meanwhile. */
    private static byte[] value(String path, String name) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                long size = Libc.INSTANCE.lgetxattr(path, name, null, 0);
                byte[] value = new byte[(int) size];
                long got = size == 0 ? 0 : Libc.INSTANCE.lgetxattr(path, name, value, size);
                return java.util.Arrays.copyOf(value, (int) got);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENODATA) {
                    return null;
                }
                if (e.getErrorCode() != ERANGE) {
                    throw new IOException("getxattr " + name + " of " + path + ": errno " + e.getErrorCode(), e);
                }
            }
        }
        throw new IOException("getxattr " + name + " of " + path + ": the value kept growing");
    }

    /** The C library calls the attributes need, bound through JNA. */
    interface Libc extends com.sun.jna.Library {
        Libc INSTANCE = Native.load("c", Libc.class);

        long llistxattr(String path, byte[] list, long size) throws LastErrorException;

        long lgetxattr(String path, String name, byte[] value, long size) throws LastErrorException;

        int lsetxattr(String path, String name, byte[] value, long size, int flags) throws LastErrorException;
    }
}
