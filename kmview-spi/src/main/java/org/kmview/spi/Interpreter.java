package org.kmview.spi;

import java.util.Objects;

/**
 * How to run an {@link Executable}: through an interpreter, as binfmt_misc runs it. The process
 * executes {@code path} with the argument list {@code path filename args...}, or
 * {@code path filename argv0 args...} when {@code preserveArgv0} is set.
 *
 * @param path the interpreter: a path in the view, or a host path when {@code hostPath} is set
 * @param hostPath whether {@code path} is a host path, resolved when the service learned it
 *        (binfmt_misc's {@code F} flag), rather than a path the view resolves at each exec
 * @param preserveArgv0 whether the original argv[0] stays in the argument list; the interpreter
 *        also finds bit 0 ({@code AT_FLAGS_PRESERVE_ARGV0}) set in its {@code AT_FLAGS} auxiliary
 *        vector entry (binfmt_misc's {@code P} flag)
 * @param openBinary whether the interpreter gets an open descriptor of the executable in its
 *        {@code AT_EXECFD} auxiliary vector entry (binfmt_misc's {@code O} flag)
 */
public record Interpreter(String path, boolean hostPath, boolean preserveArgv0, boolean openBinary) {

    /** Checks that the path is not null or empty. */
    public Interpreter {
        Objects.requireNonNull(path, "path");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("interpreter path is empty");
        }
    }
}
