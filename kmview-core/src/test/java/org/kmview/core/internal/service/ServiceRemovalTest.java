package org.kmview.core.internal.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.core.ServiceSpec;
import org.kmview.core.View;
import org.kmview.core.ViewConfig;

/**
 * um_del_service drops a service's module layer. Once the view has removed the service, nothing
 * refers to the layer, so its classes can be collected.
 */
class ServiceRemovalTest {

    private static final String LAYER_KEY = "kmview.test.removedLayer";

    @TempDir
    Path work;

    @Test
    @Timeout(60)
    void removedLayerIsCollectable() throws Exception {
        // The fixture's constructor publishes a weak reference to its own layer, and nothing else.
        String publish = "System.getProperties().put(\"" + LAYER_KEY + "\", new java.lang.ref.WeakReference<>("
                + "getClass().getModule().getLayer()));";
        FixtureBuilder builder = new FixtureBuilder(work);
        Path classes = builder.compile("fixture.gone",
                FixtureBuilder.serviceSources("fixture.gone", "gone", "\"removable\"", List.of(), publish),
                List.of(FixtureBuilder.spiLocation()));
        Path jar = FixtureBuilder.jar(classes, work.resolve("gone.jar"), Map.of());

        ViewConfig config = new ViewConfig(List.of("true"), List.of(), List.of(), "", work.resolve("kmview-exec"),
                List.of(ServiceSpec.parse(jar.toString())), work.resolve("services"), List.of(), "", List.of(), true, false);
        View view = View.create(config);
        WeakReference<?> layer = (WeakReference<?>) System.getProperties().remove(LAYER_KEY);
        assertNotNull(layer.get(), "the fixture did not publish its layer");

        assertEquals(List.of("gone: removable"), view.list());
        assertNull(view.remove("gone"));
        assertEquals(List.of(), view.list());

        for (int i = 0; i < 100 && layer.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(layer.get(), "the module layer of a removed service is still reachable");
    }
}
