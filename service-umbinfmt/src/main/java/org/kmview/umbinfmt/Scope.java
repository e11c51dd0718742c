package org.kmview.umbinfmt;

import java.util.Optional;

import org.kmview.spi.Errno;
import org.kmview.spi.MountRequest;
import org.kmview.spi.ServiceException;

/**
 * The executables a table applies to: all of them, or those whose host path is {@code root} or
 * lies below it.
 *
 * @param root the host path of the mount source, or empty for every executable
 */
record Scope(Optional<String> root) {

    static final Scope EVERY_EXECUTABLE = new Scope(Optional.empty());

    /**
     * Returns the scope a mount source selects: {@code none} or {@code /} selects every executable,
     * any other source the executables below its host path.
     *
     * @throws ServiceException ENOENT if the source is another path that does not exist
     */
    static Scope of(MountRequest request) throws ServiceException {
        String source = request.source();
        if (source.equals("none") || source.equals("/")) {
            return EVERY_EXECUTABLE;
        }
        String hostSource = request.hostSource().orElseThrow(() -> new ServiceException(Errno.ENOENT,
                "umbinfmt source " + source + " does not exist; give none to apply the table to every executable"));
        String root = stripTrailingSlashes(hostSource);
        return root.isEmpty() ? EVERY_EXECUTABLE : new Scope(Optional.of(root));
    }

    /** Returns whether an executable at this host path is in scope. */
    boolean contains(String hostPath) {
        if (root.isEmpty()) {
            return true;
        }
        String prefix = root.get();
        return hostPath.equals(prefix) || hostPath.startsWith(prefix + "/");
    }

    @Override
    public String toString() {
        return root.map(path -> "executables below " + path).orElse("every executable");
    }

    private static String stripTrailingSlashes(String path) {
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(0, end);
    }
}
