package org.kmview.umfuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Normalises the entry names that archives store into relative paths. */
final class EntryPaths {

    private EntryPaths() {
    }

    /**
     * Returns {@code name} as a relative path without empty, {@code .} or leading {@code /}
     * components; the empty string for the archive root. Returns empty if a component is
     * {@code ..}, because such an entry would lie outside the tree.
     */
    static Optional<String> normalise(String name) {
        List<String> parts = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                return Optional.empty();
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return Optional.of(String.join("/", parts));
    }

    /** Returns the parent of a normalised path; the empty string for a top-level path. */
    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }
}
