package org.kmview.umbinfmt;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.kmview.spi.Errno;
import org.kmview.spi.ServiceException;

/** A write to an entry file or to {@code status}: {@code 1}, {@code 0} or {@code -1}. */
enum Command {
    ENABLE,
    DISABLE,
    REMOVE;

    /**
     * Parses the bytes of one write, allowing a trailing newline as binfmt_misc does.
     *
     * @param file the name of the file written to, for the error message
     * @throws ServiceException EINVAL for anything other than 1, 0 or -1
     */
    static Command parse(byte[] data, String file) throws ServiceException {
        int length = data.length > 0 && data[data.length - 1] == '\n' ? data.length - 1 : data.length;
        String text = new String(data, 0, length, StandardCharsets.ISO_8859_1);
        return switch (text) {
            case "1" -> ENABLE;
            case "0" -> DISABLE;
            case "-1" -> REMOVE;
            default -> throw new ServiceException(Errno.EINVAL, "invalid command "
                    + Messages.quote(Arrays.copyOf(data, length)) + " written to " + file
                    + ": write 1 to enable, 0 to disable or -1 to remove");
        };
    }
}
