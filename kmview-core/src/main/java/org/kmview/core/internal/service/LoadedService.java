package org.kmview.core.internal.service;

import java.nio.file.Path;
import java.util.Objects;

import org.kmview.core.ServiceSpec;
import org.kmview.spi.ViewService;

/**
 * A service loaded into a module layer of its own, not yet started.
 *
 * @param service the provider instance
 * @param layer the module layer that contains the service's modules
 * @param location the jar or directory the service was loaded from
 * @param spec the request the service was loaded for, with the options for
 *        {@link ViewService#start}
 */
public record LoadedService(ViewService service, ModuleLayer layer, Path location, ServiceSpec spec) {

    /** Checks that no component is null. */
    public LoadedService {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(spec, "spec");
    }
}
