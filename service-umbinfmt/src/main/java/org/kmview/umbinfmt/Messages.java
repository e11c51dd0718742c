package org.kmview.umbinfmt;

import java.nio.charset.StandardCharsets;

import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;

/** Builds the error messages of rejected writes, which name the field and show its value. */
final class Messages {

    /**
     * Maximum number of characters of a value that a message shows, because a register line may
     * be 1920 bytes.
     */
    private static final int MAX_QUOTED_LENGTH = 80;

    private Messages() {
    }

    /** Returns an EINVAL exception with the message {@code invalid FIELD "VALUE": REASON}. */
    static ServiceException invalidField(String field, byte[] value, String reason) {
        return new ServiceException(Errno.EINVAL, "invalid " + field + " " + quote(value) + ": " + reason);
    }

    /**
     * Returns the bytes in double quotes, decoded as UTF-8, with control characters written as
     * {@code \xNN} so that the log line stays one line, and cut after {@value #MAX_QUOTED_LENGTH}
     * characters.
     */
    static String quote(byte[] value) {
        String text = new String(value, StandardCharsets.UTF_8);
        StringBuilder quoted = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            if (i == MAX_QUOTED_LENGTH) {
                quoted.append("...");
                break;
            }
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\x%02x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
