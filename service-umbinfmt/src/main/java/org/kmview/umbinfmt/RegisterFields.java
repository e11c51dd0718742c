package org.kmview.umbinfmt;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;

/**
 * A line written to {@code register}, split into its seven fields but not yet checked. The first
 * byte of the line is the field separator. A trailing newline is dropped. As in binfmt_misc, the
 * separator after the interpreter is required, even when no flags follow, and a write carries
 * one line.
 */
record RegisterFields(byte[] name, byte[] type, byte[] offset, byte[] magic, byte[] mask,
                      byte[] interpreter, byte[] flags) {

    static final String FORMAT = ":name:type:offset:magic:mask:interpreter:flags";

    /** binfmt_misc's bounds on one write to {@code register}, counting a trailing newline. */
    static final int MIN_LENGTH = 11;
    static final int MAX_LENGTH = 1920;

    /**
     * Splits a register line into its fields.
     *
     * @throws ServiceException EINVAL if the line is too short or too long, contains a NUL byte,
     *         or has too few or too many fields
     */
    static RegisterFields split(byte[] line) throws ServiceException {
        if (line.length < MIN_LENGTH || line.length > MAX_LENGTH) {
            throw new ServiceException(Errno.EINVAL, "invalid register line length " + line.length
                    + " bytes: expected " + MIN_LENGTH + " to " + MAX_LENGTH + " bytes in the form " + FORMAT);
        }
        int end = line[line.length - 1] == '\n' ? line.length - 1 : line.length;
        for (int i = 0; i < end; i++) {
            if (line[i] == 0) {
                throw new ServiceException(Errno.EINVAL, "invalid register line: NUL byte at position " + i
                        + ". Write a zero byte of magic or mask as \\x00");
            }
            if (line[i] == '\n') {
                throw new ServiceException(Errno.EINVAL, "invalid register line: newline at position " + i
                        + ". Write one entry per write, for example one printf per line");
            }
        }

        Splitter splitter = new Splitter(line, end);
        byte[] name = splitter.next("name", false);
        byte[] type = splitter.next("type", false);
        // Only type M decodes \xNN escapes, so only its magic and mask fields skip them whole.
        boolean hexEscapes = type.length == 1 && type[0] == 'M';
        byte[] offset = splitter.next("offset", false);
        byte[] magic = splitter.next("magic", hexEscapes);
        byte[] mask = splitter.next("mask", hexEscapes);
        byte[] interpreter = splitter.next("interpreter", false);
        byte[] flags = splitter.rest();
        if (splitter.containsSeparator(flags)) {
            throw Messages.invalidField("flags", flags, "too many fields, because the flags field contains the"
                    + " separator " + Messages.quote(new byte[] {line[0]}) + ". Expected the form " + FORMAT);
        }
        return new RegisterFields(name, type, offset, magic, mask, interpreter, flags);
    }

    /**
     * Decodes a field as UTF-8, the encoding kmview gives paths and file names.
     *
     * @throws ServiceException EINVAL naming the field if the bytes are not valid UTF-8
     */
    static String decode(String field, byte[] value) throws ServiceException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value))
                    .toString();
        } catch (CharacterCodingException e) {
            throw Messages.invalidField(field, value, "not valid UTF-8");
        }
    }

    /** Reads the fields of one line from left to right. */
    private static final class Splitter {
        private final byte[] line;
        private final int end;
        private final byte separator;
        private int position = 1;

        Splitter(byte[] line, int end) {
            this.line = line;
            this.end = end;
            this.separator = line[0];
        }

        /** Returns the field up to the next separator and moves past that separator. */
        byte[] next(String field, boolean hexEscapes) throws ServiceException {
            int stop = findSeparator(hexEscapes);
            if (stop >= end) {
                throw new ServiceException(Errno.EINVAL, "invalid register line: missing fields, because the line"
                        + " ends within the " + field + " field. Expected the form " + FORMAT);
            }
            return take(stop);
        }

        byte[] rest() {
            return take(end);
        }

        boolean containsSeparator(byte[] field) {
            for (byte b : field) {
                if (b == separator) {
                    return true;
                }
            }
            return false;
        }

        private int findSeparator(boolean hexEscapes) {
            int i = position;
            while (i < end && line[i] != separator) {
                // binfmt_misc skips an escape whole, so a hex digit or x may serve as separator.
                boolean escape = hexEscapes && line[i] == '\\' && i + 1 < end && line[i + 1] == 'x';
                i += escape ? 4 : 1;
            }
            return i;
        }

        private byte[] take(int stop) {
            int clamped = Math.min(stop, end);
            byte[] field = Arrays.copyOfRange(line, position, clamped);
            position = Math.min(clamped + 1, end);
            return field;
        }
    }
}
