package org.kmview.core.internal.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.kmview.spi.ViewService;

/**
 * Compiles small Java sources with the JDK's javac, in this JVM, and packs them into jars, so
 * that tests load real service jars.
 *
 * <p>javac is reached through {@link ToolProvider} of {@code java.base}, not through
 * {@code javax.tools}, because these tests run inside module {@code kmview.core}, which does
 * not read {@code java.compiler}.
 */
final class FixtureBuilder {

    private final Path work;

    /** Creates a builder that writes sources, classes and jars below {@code work}. */
    FixtureBuilder(Path work) {
        this.work = work;
    }

    /** Returns the kmview-spi classes directory or jar that this test run uses. */
    static Path spiLocation() {
        try {
            return Path.of(ViewService.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("kmview-spi location is not a file path", e);
        }
    }

    /**
     * Compiles the sources of one module, or of plain classes if no source is named
     * {@code module-info.java}.
     *
     * @param label a directory name for this compilation, unique in the builder
     * @param sources source text by relative file name, such as {@code a/b/C.java}
     * @param modulePath the jars or directories the sources are compiled against; used as the
     *        class path when there is no {@code module-info.java}
     * @return the directory of the class files
     */
    Path compile(String label, Map<String, String> sources, List<Path> modulePath) throws IOException {
        Path sourceRoot = work.resolve("src").resolve(label);
        Path classes = work.resolve("classes").resolve(label);
        Files.createDirectories(classes);

        // No --release: the fixtures run on this JDK, and a fixture may require any of its modules.
        List<String> arguments = new ArrayList<>(List.of("-d", classes.toString()));
        String path = modulePath.stream().map(Path::toString).collect(Collectors.joining(":"));
        boolean modular = sources.containsKey("module-info.java");
        if (!path.isEmpty()) {
            arguments.add(modular ? "--module-path" : "--class-path");
            arguments.add(path);
        }
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = sourceRoot.resolve(source.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            arguments.add(file.toString());
        }

        ToolProvider javac = ToolProvider.findFirst("javac")
                .orElseThrow(() -> new IllegalStateException("javac not found: run the tests on a JDK, not a JRE"));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            int status = javac.run(stream, stream, arguments.toArray(String[]::new));
            if (status != 0) {
                throw new IllegalStateException("javac " + String.join(" ", arguments) + " failed with status "
                        + status + ":\n" + output.toString(StandardCharsets.UTF_8));
            }
        }
        return classes;
    }

    /**
     * Packs a directory into a jar.
     *
     * @param extraEntries more entries by name, such as a {@code META-INF/services} file
     */
    static Path jar(Path classes, Path jar, Map<String, String> extraEntries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Files.createDirectories(jar.getParent());

        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> tree = Files.walk(classes)) {
            for (Path path : tree.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(path).toString().replace('\\', '/')));
                Files.copy(path, out);
                out.closeEntry();
            }
            for (Map.Entry<String, String> entry : extraEntries.entrySet()) {
                out.putNextEntry(new JarEntry(entry.getKey()));
                out.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }

    /**
     * Returns the sources of a service module whose provider class is {@code PACKAGE.Service}.
     *
     * @param module the module name, also the package name
     * @param serviceName what {@code name()} returns
     * @param descriptionExpression a Java expression for what {@code description()} returns
     * @param requires modules the service module requires besides kmview.spi
     * @param constructorBody statements of the provider's constructor
     */
    static Map<String, String> serviceSources(String module, String serviceName, String descriptionExpression,
                                              List<String> requires, String constructorBody) {
        String requireLines = requires.stream().map(name -> "    requires " + name + ";\n")
                .collect(Collectors.joining());
        String moduleInfo = "module " + module + " {\n"
                + "    requires kmview.spi;\n"
                + requireLines
                + "    provides org.kmview.spi.ViewService with " + module + ".Service;\n"
                + "}\n";
        return Map.of("module-info.java", moduleInfo,
                module.replace('.', '/') + "/Service.java", providerSource(module, serviceName,
                        descriptionExpression, constructorBody));
    }

    /** Returns the source of a provider class {@code PACKAGE.Service}. */
    static String providerSource(String packageName, String serviceName, String descriptionExpression,
                                 String constructorBody) {
        return "package " + packageName + ";\n"
                + "\n"
                + "public final class Service implements org.kmview.spi.ViewService {\n"
                + "    public Service() {\n"
                + "        " + constructorBody + "\n"
                + "    }\n"
                + "    @Override public String name() { return \"" + serviceName + "\"; }\n"
                + "    @Override public String description() { return " + descriptionExpression + "; }\n"
                + "    @Override public void start(org.kmview.spi.ServiceContext context,\n"
                + "            org.kmview.spi.Options options) {\n"
                + "    }\n"
                + "}\n";
    }
}
