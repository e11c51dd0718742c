package org.kmview.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The distribution kmview runs from, as bin/kmview describes it in system properties.
 *
 * @param root the distribution directory ({@code kmview.home})
 * @param inheritedFds the descriptors bin/kmview's shell passes on: 0 to 2 unless its caller closed
 *        them, and those above 2 without close-on-exec ({@code kmview.inheritedFds}, a comma list)
 * @param signalMasks the signals the shell's caller ignores and blocks, as {@code IGNORED:BLOCKED}
 *        masks of 16 hex digits ({@code kmview.signalMasks}), or an empty string if not given
 */
record KmviewHome(Path root, List<Integer> inheritedFds, String signalMasks) {

    private static final Pattern SIGNAL_MASKS = Pattern.compile("[0-9a-f]{16}:[0-9a-f]{16}");

    static KmviewHome fromSystemProperties() {
        String home = System.getProperty("kmview.home");
        if (home == null) {
            throw new IllegalStateException("system property kmview.home is not set; start kmview with bin/kmview");
        }
        List<Integer> fds = new ArrayList<>();
        for (String fd : System.getProperty("kmview.inheritedFds", "").split(",")) {
            if (!fd.isBlank()) {
                fds.add(Integer.parseInt(fd.trim()));
            }
        }
        String masks = System.getProperty("kmview.signalMasks", "");
        return new KmviewHome(Path.of(home).toAbsolutePath().normalize(), fds,
                SIGNAL_MASKS.matcher(masks).matches() ? masks : "");
    }

    Path binDirectory() {
        return root.resolve("bin");
    }

    Path execStub() {
        return root.resolve("libexec/kmview-exec");
    }

    Path servicesDirectory() {
        return root.resolve("services");
    }

    /** Returns the entries of KMVIEW_MODULE_PATH, colon-separated as LD_LIBRARY_PATH is. */
    List<Path> modulePath() {
        String value = System.getenv("KMVIEW_MODULE_PATH");
        List<Path> entries = new ArrayList<>();
        if (value != null) {
            for (String entry : value.split(":")) {
                if (!entry.isEmpty()) {
                    entries.add(Path.of(entry));
                }
            }
        }
        return entries;
    }

    String version() {
        String version = Main.class.getModule().getDescriptor() == null ? null
                : Main.class.getModule().getDescriptor().rawVersion().orElse(null);
        return version != null ? version : Main.class.getPackage().getImplementationVersion() != null
                ? Main.class.getPackage().getImplementationVersion() : "0.1.0-SNAPSHOT";
    }
}
