package org.kmview.umbinfmt;

import java.util.EnumSet;
import java.util.Set;

/**
 * The flags of a binfmt_misc entry, declared in the order an entry file lists them. The constant
 * names follow the kernel's {@code MISC_FMT_*} names.
 */
enum EntryFlag {
    /** {@code P}: the original argv[0] stays in the interpreter's argument list. */
    PRESERVE_ARGV0('P'),
    /** {@code O}: the interpreter receives an open descriptor of the executable. */
    OPEN_BINARY('O'),
    /** {@code C}: credentials come from the executable, not the interpreter. It implies {@code O}. */
    CREDENTIALS('C'),
    /** {@code F}: the interpreter path is resolved once, at registration. */
    OPEN_FILE('F');

    private final char letter;

    EntryFlag(char letter) {
        this.letter = letter;
    }

    char letter() {
        return letter;
    }

    /**
     * Parses the flags field. Letters may repeat. {@code C} adds {@code O} as binfmt_misc does, so
     * the entry file shows both.
     *
     * @throws org.kmview.spi.ServiceException EINVAL naming the first unknown letter
     */
    static Set<EntryFlag> parse(byte[] field) throws org.kmview.spi.ServiceException {
        Set<EntryFlag> flags = EnumSet.noneOf(EntryFlag.class);
        for (byte b : field) {
            EntryFlag flag = ofLetter(b);
            if (flag == null) {
                throw Messages.invalidField("flags", field, "unknown flag " + Messages.quote(new byte[] {b})
                        + "; valid flags are P, O, C and F");
            }
            flags.add(flag);
        }
        if (flags.contains(CREDENTIALS)) {
            flags.add(OPEN_BINARY);
        }
        return flags;
    }

    /** Returns the letters of {@code flags} in declaration order, as an entry file shows them. */
    static String letters(Set<EntryFlag> flags) {
        StringBuilder letters = new StringBuilder();
        for (EntryFlag flag : values()) {
            if (flags.contains(flag)) {
                letters.append(flag.letter);
            }
        }
        return letters.toString();
    }

    private static EntryFlag ofLetter(byte b) {
        for (EntryFlag flag : values()) {
            if (flag.letter == b) {
                return flag;
            }
        }
        return null;
    }
}
