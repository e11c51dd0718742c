package org.kmview.umbinfmt;

import org.kmview.spi.Executable;

/** The part of an entry that recognizes executables: magic bytes (type M) or a file name extension (type E). */
sealed interface Signature permits MagicSignature, ExtensionSignature {

    /** Returns whether the executable carries this signature. */
    boolean matches(Executable executable);

    /** Appends the lines that follow the flags line in an entry file. */
    void render(StringBuilder out);

    /** Returns a one-line description for the debug log. */
    String describe();
}
