package org.kmview.core;

import org.kmview.core.internal.nativeaccess.JnaLibc;
import org.kmview.core.internal.nativeaccess.JnaPtrace;

/**
 * Entry point that loads kmview's access to the C library. The first use loads JNA's native
 * library and binds the C functions, which took about 35 ms on the benchmark machine. With
 * {@link #load} a launcher does that early, on another thread, while it parses its command line.
 */
public final class NativeAccess {

    private NativeAccess() {
    }

    /** Loads the native libraries and binds the functions kmview calls. Safe from any thread. */
    public static void load() {
        new JnaLibc().getpid();
        new JnaPtrace();
    }
}
