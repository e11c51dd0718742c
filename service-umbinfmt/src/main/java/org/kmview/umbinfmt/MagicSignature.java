package org.kmview.umbinfmt;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.ServiceException;

/**
 * A type M signature: bytes at a fixed offset of the executable's header.
 *
 * @param offset where the magic starts in the file
 * @param magic the bytes to compare, not empty
 * @param mask the bytes that header and magic bytes are ANDed with before comparing. It is as long
 *        as the magic, or empty when the line gave no mask.
 */
record MagicSignature(int offset, byte[] magic, byte[] mask) implements Signature {

    /**
     * How far into a file a magic may reach, in bytes.
     *
     * <p>NOTE: current kernels compare offset plus magic length with BINPRM_BUF_SIZE, which is 256
     * (as {@link Executable#HEADER_SIZE}), so a line whose magic ends between byte 128 and 256 is
     * rejected here but accepted by the kernel.
     */
    static final int MAX_MAGIC_END = 128;

    private static final HexFormat HEX = HexFormat.of();

    /**
     * Parses the offset, magic and mask fields of a type M line. The magic and the mask may
     * contain {@code \xNN} for any byte and {@code \\} for a backslash. An empty offset means 0,
     * and an empty mask means none.
     *
     * @throws ServiceException EINVAL naming the field that is invalid
     */
    static MagicSignature parse(byte[] offsetField, byte[] magicField, byte[] maskField) throws ServiceException {
        long offset = parseOffset(offsetField);
        if (magicField.length == 0) {
            throw Messages.invalidField("magic", magicField, "a type M entry needs at least one magic byte");
        }
        byte[] magic = unescape("magic", magicField);
        byte[] mask = maskField.length == 0 ? new byte[0] : unescape("mask", maskField);
        if (mask.length != 0 && mask.length != magic.length) {
            throw Messages.invalidField("mask", maskField, "the mask is " + mask.length + " bytes but the magic is "
                    + magic.length + " bytes; give one mask byte per magic byte");
        }
        if (offset > MAX_MAGIC_END - magic.length) {
            throw new ServiceException(Errno.EINVAL, "invalid offset " + Messages.quote(offsetField) + " with a "
                    + magic.length + "-byte magic: offset plus magic length must not exceed " + MAX_MAGIC_END
                    + " bytes");
        }
        return new MagicSignature((int) offset, magic, mask);
    }

    /** Compares the header at {@link #offset} with the magic, both ANDed with the mask if there is one. */
    @Override
    public boolean matches(Executable executable) {
        byte[] header = executable.header();
        for (int i = 0; i < magic.length; i++) {
            int difference = header[offset + i] ^ magic[i];
            if (mask.length != 0) {
                difference &= mask[i];
            }
            if (difference != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void render(StringBuilder out) {
        out.append("offset ").append(offset).append('\n');
        out.append("magic ").append(HEX.formatHex(magic)).append('\n');
        if (mask.length != 0) {
            out.append("mask ").append(HEX.formatHex(mask)).append('\n');
        }
    }

    @Override
    public String describe() {
        String described = "magic " + HEX.formatHex(magic) + " at offset " + offset;
        return mask.length == 0 ? described : described + " with mask " + HEX.formatHex(mask);
    }

    /** Parses a decimal offset. A value too large for a long comes back as {@link Long#MAX_VALUE}. */
    private static long parseOffset(byte[] field) throws ServiceException {
        long offset = 0;
        for (byte b : field) {
            if (b < '0' || b > '9') {
                throw Messages.invalidField("offset", field, "expected a decimal number of bytes, or nothing for 0");
            }
            offset = offset > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : offset * 10 + (b - '0');
        }
        return offset;
    }

    /** Decodes {@code \xNN} and {@code \\}. Any other backslash is an error. */
    private static byte[] unescape(String field, byte[] value) throws ServiceException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length);
        int i = 0;
        while (i < value.length) {
            if (value[i] != '\\') {
                bytes.write(value[i]);
                i++;
            } else if (i + 1 < value.length && value[i + 1] == '\\') {
                bytes.write('\\');
                i += 2;
            } else if (i + 3 < value.length && value[i + 1] == 'x'
                    && hexDigit(value[i + 2]) >= 0 && hexDigit(value[i + 3]) >= 0) {
                bytes.write(hexDigit(value[i + 2]) << 4 | hexDigit(value[i + 3]));
                i += 4;
            } else {
                throw Messages.invalidField(field, value, "invalid escape at position " + i
                        + "; write \\xNN with two hex digits for a byte or \\\\ for a backslash");
            }
        }
        return bytes.toByteArray();
    }

    private static int hexDigit(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
