package org.kmview.core.internal.dispatch;

import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.HashMap;
import java.util.Map;

import org.kmview.core.internal.nativeaccess.Libc;

/**
 * A host file tree in memory behind a mocked {@link Libc}: lstatMode and readlink read it,
 * and a path it does not contain is missing (-ENOENT).
 */
final class HostTree {

    static final int ENOENT = 2;
    private static final int S_IFREG = 0100000;

    private final Map<String, Integer> modes = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();

    HostTree() {
        modes.put("/", Libc.S_IFDIR | 0755);
    }

    /** Adds a directory and its missing parents. */
    HostTree dir(String path) {
        parents(path);
        modes.put(path, Libc.S_IFDIR | 0755);
        return this;
    }

    /** Adds a regular file and its missing parents. */
    HostTree file(String path) {
        parents(path);
        modes.put(path, S_IFREG | 0644);
        return this;
    }

    /** Adds a symbolic link, or replaces the target of one, and its missing parents. */
    HostTree link(String path, String target) {
        parents(path);
        modes.put(path, Libc.S_IFLNK | 0777);
        links.put(path, target);
        return this;
    }

    /** Returns a Libc mock whose lstatMode and readlink read this tree. */
    Libc mockLibc() {
        Libc libc = mock(Libc.class);
        stub(libc);
        return libc;
    }

    /** Makes lstatMode and readlink of {@code libc} read this tree. */
    void stub(Libc libc) {
        when(libc.lstatMode(anyString())).thenAnswer(call -> modes.getOrDefault(call.<String>getArgument(0), -ENOENT));
        when(libc.readlink(anyString())).thenAnswer(call -> links.get(call.<String>getArgument(0)));
    }

    private void parents(String path) {
        int slash = path.lastIndexOf('/');
        String parent = slash <= 0 ? "/" : path.substring(0, slash);
        if (!modes.containsKey(parent)) {
            dir(parent);
        }
    }
}
