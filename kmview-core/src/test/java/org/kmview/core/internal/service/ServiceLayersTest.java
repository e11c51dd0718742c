package org.kmview.core.internal.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.core.ServiceLoadException;
import org.kmview.core.ServiceSpec;
import org.kmview.spi.ViewService;

class ServiceLayersTest {

    private static final String GREETING_DESCRIPTION = "\"greeting \" + fixture.greeting.Greeting.version()";

    @TempDir
    static Path work;

    private static Path services;
    private static Path greetingV1Jar;
    private static Path soloJar;
    private static Path twinJar;
    private static Path brokenJar;
    private static Path badNameJar;
    private static Path automaticJar;
    private static Path spiJar;
    private static Path alphaJar;
    private static Path corruptJar;

    @TempDir
    Path scratch;

    /**
     * Builds the fixture jars and a distribution {@code services} directory containing
     * {@code alpha} (with greeting v1) and {@code beta} (with greeting v2).
     */
    @BeforeAll
    static void buildFixtures() throws IOException {
        assertTrue(ViewService.class.getModule().isNamed(), "kmview-spi is on the class path, but these tests "
                + "need module kmview.spi in the boot layer, as in the distribution: run them on the module path, "
                + "which surefire uses by default for a modular project");

        FixtureBuilder builder = new FixtureBuilder(work);
        Path jars = work.resolve("jars");
        Path spi = FixtureBuilder.spiLocation();

        greetingV1Jar = FixtureBuilder.jar(builder.compile("greeting-1", greetingSources("v1"), List.of()),
                jars.resolve("greeting-1.jar"), Map.of());
        Path greetingV2Jar = FixtureBuilder.jar(builder.compile("greeting-2", greetingSources("v2"), List.of()),
                jars.resolve("greeting-2.jar"), Map.of());

        alphaJar = serviceJar(builder, "fixture.alpha", "alpha", GREETING_DESCRIPTION,
                List.of("fixture.greeting"), "", List.of(spi, greetingV1Jar));
        Path betaJar = serviceJar(builder, "fixture.beta", "beta", GREETING_DESCRIPTION,
                List.of("fixture.greeting"), "", List.of(spi, greetingV2Jar));
        soloJar = serviceJar(builder, "fixture.solo", "solo", "\"solo\"", List.of(), "", List.of(spi));
        twinJar = serviceJar(builder, "fixture.twin", "twin", "\"twin\"", List.of(), "", List.of(spi));
        brokenJar = serviceJar(builder, "fixture.broken", "broken", "\"broken\"", List.of(),
                "throw new IllegalStateException(\"broken on purpose\");", List.of(spi));
        badNameJar = serviceJar(builder, "fixture.badname", "bad name", "\"bad name\"", List.of(), "",
                List.of(spi));

        // A plain jar: the JDK makes it the automatic module fixture.auto.
        Path automaticClasses = builder.compile("auto",
                Map.of("fixture/auto/Service.java",
                        FixtureBuilder.providerSource("fixture.auto", "auto", "\"auto\"", "")),
                List.of(spi));
        automaticJar = FixtureBuilder.jar(automaticClasses, jars.resolve("fixture-auto.jar"),
                Map.of("META-INF/services/" + ViewService.class.getName(), "fixture.auto.Service\n"));

        spiJar = Files.isDirectory(spi) ? FixtureBuilder.jar(spi, jars.resolve("kmview-spi.jar"), Map.of()) : spi;

        corruptJar = jars.resolve("corrupt.jar");
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        Files.write(corruptJar, noise);

        services = work.resolve("dist").resolve("services");
        copyInto(services.resolve("alpha"), alphaJar, greetingV1Jar);
        copyInto(services.resolve("beta"), betaJar, greetingV2Jar);
    }

    private static Map<String, String> greetingSources(String version) {
        return Map.of(
                "module-info.java", "module fixture.greeting {\n    exports fixture.greeting;\n}\n",
                "fixture/greeting/Greeting.java", "package fixture.greeting;\n\n"
                        + "public final class Greeting {\n"
                        + "    public static String version() {\n"
                        + "        return \"" + version + "\";\n"
                        + "    }\n"
                        + "}\n");
    }

    private static Path serviceJar(FixtureBuilder builder, String module, String serviceName, String description,
                                   List<String> requires, String constructorBody, List<Path> modulePath)
            throws IOException {
        Path classes = builder.compile(module,
                FixtureBuilder.serviceSources(module, serviceName, description, requires, constructorBody),
                modulePath);
        return FixtureBuilder.jar(classes, work.resolve("jars").resolve(module + ".jar"), Map.of());
    }

    private static Path copyInto(Path directory, Path... jars) throws IOException {
        Files.createDirectories(directory);
        for (Path jar : jars) {
            Files.copy(jar, directory.resolve(jar.getFileName()));
        }
        return directory;
    }

    private static LoadedService load(String spec, List<Path> modulePath) throws ServiceLoadException {
        return ServiceLayers.load(ServiceSpec.parse(spec), services, modulePath);
    }

    /** Loads {@code spec}, expects a failure and checks that its one-line message has each part. */
    private static String assertLoadFails(String spec, List<Path> modulePath, String... expectedParts) {
        ServiceLoadException failure = assertThrows(ServiceLoadException.class, () -> load(spec, modulePath));
        String message = failure.getMessage();
        assertFalse(message.contains("\n"), () -> "message has several lines: " + message);
        for (String part : expectedParts) {
            assertTrue(message.contains(part), () -> "message \"" + message + "\" lacks \"" + part + "\"");
        }
        return message;
    }

    @Test
    void parseModulePathSkipsEmptyEntries() {
        assertEquals(List.of(Path.of("/a"), Path.of("b"), Path.of("/c d")),
                ServiceLayers.parseModulePath("/a::b:/c d:"));
        assertEquals(List.of(), ServiceLayers.parseModulePath(""));
        assertEquals(List.of(), ServiceLayers.parseModulePath(":::"));
    }

    @Test
    void loadsNameFromDistribution() throws Exception {
        LoadedService loaded = load("alpha,mode=fast", List.of());

        assertEquals("alpha", loaded.service().name());
        assertEquals("greeting v1", loaded.service().description());
        assertEquals(services.resolve("alpha"), loaded.location());
        assertEquals("fast", loaded.spec().options().value("mode").orElseThrow());
        assertEquals(List.of(ModuleLayer.boot()), loaded.layer().parents());
        assertTrue(loaded.layer().findModule("fixture.alpha").isPresent());
        assertSame(loaded.layer(), loaded.service().getClass().getModule().getLayer());
    }

    @Test
    void loadsJarPath() throws Exception {
        LoadedService loaded = load(soloJar + ",ro", List.of());

        assertEquals("solo", loaded.service().name());
        assertEquals(soloJar, loaded.location());
        assertTrue(loaded.spec().options().has("ro"));
        assertEquals(1, loaded.layer().modules().size());
    }

    @Test
    void loadsDirectoryPath() throws Exception {
        LoadedService loaded = load(services.resolve("beta").toString(), List.of());

        assertEquals("beta", loaded.service().name());
        assertEquals("greeting v2", loaded.service().description());
        assertEquals(services.resolve("beta"), loaded.location());
    }

    @Test
    void loadsFromModulePathServiceDirectory() throws Exception {
        Path entry = scratch.resolve("more-services");
        copyInto(entry.resolve("gamma"), soloJar);
        copyInto(entry.resolve("solo"), soloJar);

        LoadedService loaded = load("solo", List.of(scratch.resolve("missing"), entry));

        assertEquals("solo", loaded.service().name());
        assertEquals(entry.resolve("solo"), loaded.location());
    }

    @Test
    void loadsFromModulePathJarByProviderName() throws Exception {
        List<Path> modulePath = List.of(services.resolve("alpha"), twinJar, soloJar);

        LoadedService loaded = load("solo", modulePath);

        assertEquals("solo", loaded.service().name());
        assertEquals(soloJar, loaded.location());
    }

    @Test
    void loadsFromModulePathDirectoryOfJars() throws Exception {
        Path entry = copyInto(scratch.resolve("twin-service"), twinJar);

        LoadedService loaded = load("twin", List.of(entry));

        assertEquals("twin", loaded.service().name());
        assertEquals(entry, loaded.location());
    }

    @Test
    void distributionComesBeforeModulePath() throws Exception {
        Path entry = scratch.resolve("more-services");
        copyInto(entry.resolve("alpha"), alphaJar, greetingV1Jar);

        LoadedService loaded = load("alpha", List.of(entry));

        assertEquals(services.resolve("alpha"), loaded.location());
    }

    @Test
    void loadsAutomaticModuleWithServicesFile() throws Exception {
        LoadedService loaded = load(automaticJar.toString(), List.of());

        assertEquals("auto", loaded.service().name());
        Module module = loaded.service().getClass().getModule();
        assertEquals("fixture.auto", module.getName());
        assertTrue(module.getDescriptor().isAutomatic());
    }

    @Test
    void layersIsolateLibraryVersions() throws Exception {
        LoadedService alpha = load("alpha", List.of());
        LoadedService beta = load("beta", List.of());

        assertEquals("greeting v1", alpha.service().description());
        assertEquals("greeting v2", beta.service().description());

        Module alphaGreeting = alpha.layer().findModule("fixture.greeting").orElseThrow();
        Module betaGreeting = beta.layer().findModule("fixture.greeting").orElseThrow();
        assertNotSame(alphaGreeting, betaGreeting);
        assertSame(alpha.layer(), alphaGreeting.getLayer());
        assertSame(beta.layer(), betaGreeting.getLayer());
        assertNotEquals(alphaGreeting.getClassLoader(), betaGreeting.getClassLoader());
        assertFalse(ModuleLayer.boot().findModule("fixture.greeting").isPresent());
    }

    @Test
    void providersOfParentLayerDoNotCount() throws Exception {
        LoadedService solo = load(soloJar.toString(), List.of());

        LoadedService twin = ServiceLayers.load(ServiceSpec.parse(twinJar.toString()), services, List.of(),
                solo.layer());

        assertEquals("twin", twin.service().name());
        assertEquals(List.of(solo.layer()), twin.layer().parents());
    }

    @Test
    void unknownNameListsWhereItLooked() {
        Path entry = scratch.resolve("nothing-here");
        assertLoadFails("nosuch", List.of(entry), "service \"nosuch\" not found", services.toString(),
                "KMVIEW_MODULE_PATH (" + entry + ")");
        assertLoadFails("nosuch", List.of(), "KMVIEW_MODULE_PATH (empty)");
    }

    @Test
    void invalidNameIsRejected() {
        assertLoadFails("..", List.of(), "invalid service name \"..\"");
    }

    @Test
    void missingPathIsRejected() {
        Path missing = scratch.resolve("missing.jar");
        assertLoadFails(missing.toString(), List.of(), "service path " + missing + " not found");
    }

    @Test
    void jarWithoutProviderIsRejected() {
        assertLoadFails(greetingV1Jar.toString(), List.of(), greetingV1Jar
                + " contains no kmview service (no provider of org.kmview.spi.ViewService)");
    }

    @Test
    void twoProvidersAreRejected() throws Exception {
        Path directory = copyInto(scratch.resolve("two"), soloJar, twinJar);

        assertLoadFails(directory.toString(), List.of(), directory + " contains 2 kmview services",
                "fixture.solo/fixture.solo.Service", "fixture.twin/fixture.twin.Service");
    }

    @Test
    void corruptJarIsRejected() {
        assertLoadFails(corruptJar.toString(), List.of(), "cannot load service " + corruptJar + ": ",
                "give a service jar, or a directory of jars");
    }

    @Test
    void corruptModulePathEntryFailsNameSearch() {
        assertLoadFails("solo", List.of(corruptJar, soloJar),
                "cannot search KMVIEW_MODULE_PATH entry " + corruptJar + " for service \"solo\"");
    }

    @Test
    void duplicateModuleIsRejected() throws Exception {
        Path directory = copyInto(scratch.resolve("two-greetings"), alphaJar, greetingV1Jar);
        Files.copy(services.resolve("beta").resolve("greeting-2.jar"), directory.resolve("greeting-2.jar"));

        assertLoadFails(directory.toString(), List.of(), "cannot load service " + directory,
                "fixture.greeting", "greeting-1.jar", "greeting-2.jar");
    }

    @Test
    void missingDependencyIsRejected() throws Exception {
        Path directory = copyInto(scratch.resolve("alpha-alone"), alphaJar);

        assertLoadFails(directory.toString(), List.of(), "cannot load service " + directory,
                "fixture.greeting not found");
    }

    @Test
    void jdkModuleMissingFromBootLayerIsNamed() throws Exception {
        String jdkModule = ModuleFinder.ofSystem().findAll().stream()
                .map(reference -> reference.descriptor().name())
                .filter(name -> ModuleLayer.boot().findModule(name).isEmpty())
                .sorted()
                .findFirst()
                .orElseThrow(() -> new AssertionError("every JDK module is in the boot layer, so no fixture "
                        + "can require a missing one; run the tests without --add-modules ALL-SYSTEM"));
        Path jar = serviceJar(new FixtureBuilder(scratch), "fixture.needsjdk", "needsjdk", "\"needsjdk\"",
                List.of(jdkModule), "", List.of(FixtureBuilder.spiLocation()));

        assertLoadFails(jar.toString(), List.of(), "service " + jar + " requires JDK module " + jdkModule,
                "JDK_JAVA_OPTIONS=--add-modules=" + jdkModule);
    }

    @Test
    void bundledSpiIsRejected() throws Exception {
        Path directory = copyInto(scratch.resolve("with-spi"), soloJar, spiJar);

        assertLoadFails(directory.toString(), List.of(), "service " + directory + " contains module kmview.spi",
                "which kmview already provides");
    }

    @Test
    void nameMismatchIsRejected() throws Exception {
        Path entry = scratch.resolve("misnamed");
        copyInto(entry.resolve("gamma"), soloJar);

        assertLoadFails("gamma", List.of(entry), "service directory " + entry.resolve("gamma")
                + " contains service \"solo\", not \"gamma\"");
    }

    @Test
    void failingConstructorIsRejected() {
        assertLoadFails(brokenJar.toString(), List.of(), "cannot create service fixture.broken/fixture.broken.Service",
                brokenJar.toString(), "broken on purpose");
    }

    @Test
    void invalidProviderNameIsRejected() {
        assertLoadFails(badNameJar.toString(), List.of(), badNameJar.toString(), "invalid name \"bad name\"");
    }
}
