package org.kmview.umbinfmt;

import java.util.Optional;
import java.util.Set;

import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.Executable;
import org.kmview.spi.Interpreter;
import org.kmview.spi.ServiceException;

/**
 * One registered binfmt_misc entry.
 *
 * @param name the entry's file name in the table directory
 * @param signature what the entry recognizes executables by
 * @param interpreter the interpreter path as registered
 * @param flags the flags, with {@code O} added when {@code C} was given
 * @param interpreterHostPath with flag {@code F}, the host path the interpreter resolved to at
 *        registration; otherwise empty
 * @param enabled whether the entry takes part in matching
 */
record Entry(String name, Signature signature, String interpreter, Set<EntryFlag> flags,
             Optional<String> interpreterHostPath, boolean enabled) {

    private static final Set<String> RESERVED_NAMES = Set.of(UmbinfmtMount.REGISTER, UmbinfmtMount.STATUS);

    Entry {
        flags = Set.copyOf(flags);
    }

    /**
     * Parses a line written to {@code register}, in the form
     * {@code :name:type:offset:magic:mask:interpreter:flags}. With flag {@code F} the interpreter
     * is resolved through {@code caller}, in the view of the writing process.
     *
     * @throws ServiceException EINVAL naming the invalid field and its value, or ENOENT if flag
     *         {@code F} is given and the interpreter does not exist
     */
    static Entry parse(byte[] line, ControlFile.Caller caller) throws ServiceException {
        RegisterFields fields = RegisterFields.split(line);
        String name = parseName(fields.name());
        Signature signature = parseSignature(fields);

        String interpreter = RegisterFields.decode("interpreter", fields.interpreter());
        if (interpreter.isEmpty()) {
            throw Messages.invalidField("interpreter", fields.interpreter(), "the interpreter path must not be empty");
        }
        Set<EntryFlag> flags = EntryFlag.parse(fields.flags());

        Optional<String> interpreterHostPath = Optional.empty();
        if (flags.contains(EntryFlag.OPEN_FILE)) {
            String hostPath = caller.hostPath(interpreter).orElseThrow(() -> new ServiceException(Errno.ENOENT,
                    "interpreter " + interpreter + " of entry " + name + " does not exist in the view; flag F"
                            + " resolves it at registration, so install it first or drop F"));
            interpreterHostPath = Optional.of(hostPath);
        }
        return new Entry(name, signature, interpreter, flags, interpreterHostPath, true);
    }

    /** Returns a copy with {@link #enabled} set to {@code enabled}. */
    Entry withEnabled(boolean enabled) {
        return new Entry(name, signature, interpreter, flags, interpreterHostPath, enabled);
    }

    /**
     * Returns how to run an executable this entry matched: with flag {@code F} the host path
     * resolved at registration, otherwise the interpreter path as registered, which the view
     * resolves at each execve.
     *
     * <p>NOTE: {@link Interpreter} has no field for {@code C}, so {@code C} acts only as the
     * {@code O} it implies, and the interpreter runs with the caller's credentials.
     */
    Interpreter toInterpreter() {
        boolean preserveArgv0 = flags.contains(EntryFlag.PRESERVE_ARGV0);
        boolean openBinary = flags.contains(EntryFlag.OPEN_BINARY);
        return interpreterHostPath
                .map(hostPath -> new Interpreter(hostPath, true, preserveArgv0, openBinary))
                .orElseGet(() -> new Interpreter(interpreter, false, preserveArgv0, openBinary));
    }

    /** Renders the entry file's content byte for byte as {@code /proc/sys/fs/binfmt_misc/NAME} shows it. */
    String render() {
        StringBuilder out = new StringBuilder();
        out.append(enabled ? "enabled" : "disabled").append('\n');
        out.append("interpreter ").append(interpreter).append('\n');
        out.append("flags: ").append(EntryFlag.letters(flags)).append('\n');
        signature.render(out);
        return out.toString();
    }

    /** Returns a one-line description for the debug log. */
    String describe() {
        String hostPath = interpreterHostPath.map(path -> " (host path " + path + ")").orElse("");
        return name + ": " + signature.describe() + ", interpreter " + interpreter + hostPath
                + ", flags " + (flags.isEmpty() ? "none" : EntryFlag.letters(flags));
    }

    private static String parseName(byte[] field) throws ServiceException {
        String name = RegisterFields.decode("name", field);
        if (name.isEmpty()) {
            throw Messages.invalidField("name", field, "the name must not be empty");
        }
        if (name.equals(".") || name.equals("..")) {
            throw Messages.invalidField("name", field, "the name must not be . or ..");
        }
        if (name.indexOf('/') >= 0) {
            throw Messages.invalidField("name", field, "the name must not contain /");
        }
        if (RESERVED_NAMES.contains(name)) {
            throw Messages.invalidField("name", field, "register and status are the table's own files");
        }
        return name;
    }

    /** Parses the type field and then the fields that type uses. Type E ignores offset and mask. */
    private static Signature parseSignature(RegisterFields fields) throws ServiceException {
        byte[] type = fields.type();
        if (type.length == 1 && type[0] == 'M') {
            return MagicSignature.parse(fields.offset(), fields.magic(), fields.mask());
        }
        if (type.length == 1 && type[0] == 'E') {
            return ExtensionSignature.parse(fields.magic());
        }
        throw Messages.invalidField("type", type, "expected M (magic bytes) or E (file name extension)");
    }
}
