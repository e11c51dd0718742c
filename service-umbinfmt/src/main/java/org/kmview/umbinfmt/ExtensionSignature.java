package org.kmview.umbinfmt;

import org.kmview.spi.Executable;
import org.kmview.spi.ServiceException;

/**
 * A type E signature: the executable's file name ends in {@code .extension}.
 *
 * @param extension the extension without its dot, not empty and without {@code /}
 */
record ExtensionSignature(String extension) implements Signature {

    /**
     * Parses the magic field of a type E line, which contains the extension without its dot. No
     * escapes are decoded, as binfmt_misc decodes none for type E.
     *
     * @throws ServiceException EINVAL if the extension is empty, contains {@code /} or is not UTF-8
     */
    static ExtensionSignature parse(byte[] field) throws ServiceException {
        String extension = RegisterFields.decode("extension", field);
        if (extension.isEmpty()) {
            throw Messages.invalidField("extension", field, "a type E entry needs an extension in the magic field");
        }
        if (extension.indexOf('/') >= 0) {
            throw Messages.invalidField("extension", field, "an extension must not contain /");
        }
        return new ExtensionSignature(extension);
    }

    /**
     * Compares the text after the last dot of the last path component of the name the process
     * passed to execve. A name without a dot matches no extension.
     */
    @Override
    public boolean matches(Executable executable) {
        String filename = executable.filename();
        String lastComponent = filename.substring(filename.lastIndexOf('/') + 1);
        int dot = lastComponent.lastIndexOf('.');
        return dot >= 0 && lastComponent.substring(dot + 1).equals(extension);
    }

    @Override
    public void render(StringBuilder out) {
        out.append("extension .").append(extension).append('\n');
    }

    @Override
    public String describe() {
        return "extension ." + extension;
    }
}
