package org.kmview.core;

import java.util.Objects;

import org.kmview.spi.Options;

/**
 * A service to load, as given to {@code -p}: a name or a path, then its options.
 *
 * @param location a service name ({@code viewfs}) or a path to a service jar or directory
 * @param options the options after the first comma
 */
public record ServiceSpec(String location, Options options) {

    /** Checks that no component is null. */
    public ServiceSpec {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(options, "options");
    }

    /**
     * Parses {@code NAME[,OPTIONS]} or {@code PATH[,OPTIONS]}.
     *
     * @throws IllegalArgumentException if the name is empty or the options are malformed
     */
    public static ServiceSpec parse(String text) {
        int comma = text.indexOf(',');
        String location = comma < 0 ? text : text.substring(0, comma);
        if (location.isEmpty()) {
            throw new IllegalArgumentException("invalid service \"" + text
                    + "\": expected NAME[,OPTIONS] or PATH[,OPTIONS]");
        }
        Options options = comma < 0 ? Options.empty() : Options.parse(text.substring(comma + 1));
        return new ServiceSpec(location, options);
    }

    /** Returns whether {@code location} is a path rather than a name. */
    public boolean isPath() {
        return location.contains("/") || location.endsWith(".jar");
    }
}
