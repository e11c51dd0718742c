package org.kmview.core.internal.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.kmview.core.Log;
import org.kmview.core.ServiceLoadException;
import org.kmview.core.ServiceSpec;
import org.kmview.spi.ViewService;

/**
 * Loads kmview services, each into a module layer of its own.
 *
 * <p>A service is a jar, or a directory of jars: the service's own jar and its private
 * dependencies, as in the distribution's {@code services/NAME/}. Every module found there
 * becomes part of one new module layer with one class loader. The layer's parent is the layer
 * that contains {@code kmview.spi}, which is the boot layer in the distribution, and the class
 * loader's parent is the platform class loader. Two services therefore share only the modules
 * of the boot layer, and each may carry its own version of a library. A service must not
 * contain a module that the parent layer already has ({@code kmview.spi}, JNA, log4j). The
 * service is the single provider of {@link ViewService} defined in the new layer. Providers
 * that the layer inherits from its parent do not count.
 *
 * <p>A {@linkplain ServiceSpec#isPath() path} is loaded as given: a jar file, or a directory
 * of jars and exploded modules. A name is looked up in this order, and the first match wins:
 * <ol>
 * <li>{@code distributionServices/NAME/}, if that directory exists;
 * <li>then each module path entry in order ({@code KMVIEW_MODULE_PATH}, see
 *     {@link #parseModulePath}). If {@code ENTRY/NAME/} is a directory, that is the service.
 *     Otherwise, if the entry is a file, or a directory that contains a jar or
 *     {@code module-info.class}, the entry is loaded as a service and matches if its
 *     provider's {@link ViewService#name()} is NAME. An entry that does not exist or is a
 *     directory of neither kind is skipped, as {@code LD_LIBRARY_PATH} skips it.
 * </ol>
 * A directory found by its name must contain the service of that name. Reading a provider's
 * name means loading the entry and creating its provider, and a service that does not match is
 * then dropped. An entry that cannot be loaded while a name is searched fails the search,
 * because it might be the service the user asked for.
 *
 * <p>A jar without {@code module-info.class} is loaded as an automatic module (JDK 17
 * {@link ModuleFinder#of}): its module name comes from the {@code Automatic-Module-Name}
 * manifest attribute or from the file name, and each file in {@code META-INF/services} becomes
 * a {@code provides}. Such a jar is a service if it lists its provider in
 * {@code META-INF/services/org.kmview.spi.ViewService}.
 *
 * <p>Every failure is a {@link ServiceLoadException} with a one-line message that contains the
 * name or path and what to do next. Arguments must not be null.
 */
public final class ServiceLayers {

    private static final Log LOG = Log.of(ServiceLayers.class);

    /** The characters {@link ViewService#name()} allows. */
    private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private static final String SPI_TYPE = ViewService.class.getName();

    private ServiceLayers() {
    }

    /**
     * Parses a module path such as {@code KMVIEW_MODULE_PATH}: entries separated by colons, as
     * in {@code LD_LIBRARY_PATH}. Empty entries are skipped, so an empty string gives an empty
     * list. Relative entries stay relative and resolve against the working directory.
     */
    public static List<Path> parseModulePath(String value) {
        List<Path> entries = new ArrayList<>();
        for (String entry : value.split(":")) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry));
            }
        }
        return List.copyOf(entries);
    }

    /**
     * Loads a service into a new module layer. The service is instantiated but not started.
     *
     * @param spec a service name or path, with its options
     * @param distributionServices the distribution's {@code services} directory, which need not
     *        exist
     * @param modulePath the parsed {@code KMVIEW_MODULE_PATH}, searched after
     *        {@code distributionServices}
     * @return the service, its layer and where it was found
     * @throws ServiceLoadException if kmview.spi is not in a module layer, the name is invalid or
     *         not found, the path does not exist, the service contains a module of the boot layer
     *         or requires a JDK module the boot layer lacks, its modules cannot be read, resolved
     *         or defined, it does not contain exactly one provider of {@code ViewService}, the
     *         provider cannot be created or has an invalid name, or a directory found by its name
     *         contains a service of another name
     */
    public static LoadedService load(ServiceSpec spec, Path distributionServices, List<Path> modulePath)
            throws ServiceLoadException {
        return load(spec, distributionServices, modulePath, spiLayer());
    }

    /**
     * Loads a service into a new module layer whose parent is {@code parent}, which must contain
     * kmview.spi or have it among its ancestors. Tests use it to give the service layer a parent
     * that has a provider of its own.
     */
    static LoadedService load(ServiceSpec spec, Path distributionServices, List<Path> modulePath,
                              ModuleLayer parent) throws ServiceLoadException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(distributionServices, "distributionServices");
        Objects.requireNonNull(modulePath, "modulePath");
        Objects.requireNonNull(parent, "parent");

        if (spec.isPath()) {
            return loadPath(spec, parent);
        }
        return loadName(spec, distributionServices, modulePath, parent);
    }

    /** Returns the layer that contains kmview.spi, the parent of every service layer. */
    private static ModuleLayer spiLayer() throws ServiceLoadException {
        ModuleLayer layer = ViewService.class.getModule().getLayer();
        if (layer == null) {
            throw new ServiceLoadException("cannot load services: kmview-spi is on the class path, "
                    + "so it is not in a module layer; start kmview with its lib directory on the "
                    + "module path (java -p lib -m ...), as bin/kmview does");
        }
        return layer;
    }

    private static LoadedService loadPath(ServiceSpec spec, ModuleLayer parent) throws ServiceLoadException {
        Path location = Path.of(spec.location());
        if (!Files.exists(location)) {
            throw new ServiceLoadException("service path " + location
                    + " not found: give an existing service jar or directory");
        }
        return loadLocation(location, spec, parent);
    }

    private static LoadedService loadName(ServiceSpec spec, Path distributionServices, List<Path> modulePath,
                                          ModuleLayer parent) throws ServiceLoadException {
        String name = spec.location();
        if (!SERVICE_NAME.matcher(name).matches()) {
            throw new ServiceLoadException("invalid service name \"" + name + "\": a name contains only "
                    + "letters, digits, - and _; to load a service by path, give a path with a /");
        }

        Path inDistribution = distributionServices.resolve(name);
        if (Files.isDirectory(inDistribution)) {
            return requireName(loadLocation(inDistribution, spec, parent), name);
        }

        for (Path entry : modulePath) {
            Path serviceDirectory = entry.resolve(name);
            if (Files.isDirectory(serviceDirectory)) {
                return requireName(loadLocation(serviceDirectory, spec, parent), name);
            }
            if (isServiceLocation(entry)) {
                LoadedService candidate = loadModulePathEntry(entry, spec, parent);
                if (candidate.service().name().equals(name)) {
                    return candidate;
                }
                LOG.debug("KMVIEW_MODULE_PATH entry {} contains service \"{}\", not \"{}\"",
                        entry, candidate.service().name(), name);
            }
        }

        throw new ServiceLoadException("service \"" + name + "\" not found in " + distributionServices
                + " or KMVIEW_MODULE_PATH (" + describeModulePath(modulePath)
                + "): give the path of its jar or directory, or add that path to KMVIEW_MODULE_PATH");
    }

    /** Returns whether a module path entry is itself a service: a jar or a directory of modules. */
    private static boolean isServiceLocation(Path entry) throws ServiceLoadException {
        if (Files.isRegularFile(entry)) {
            return true;
        }
        if (!Files.isDirectory(entry)) {
            return false;
        }
        if (Files.isRegularFile(entry.resolve("module-info.class"))) {
            return true;
        }
        try (Stream<Path> children = Files.list(entry)) {
            return children.anyMatch(child -> child.getFileName().toString().endsWith(".jar")
                    && Files.isRegularFile(child));
        } catch (IOException | UncheckedIOException e) {
            throw new ServiceLoadException("cannot read KMVIEW_MODULE_PATH entry " + entry + ": "
                    + describe(e) + "; fix its permissions or remove it from KMVIEW_MODULE_PATH", e);
        }
    }

    private static LoadedService loadModulePathEntry(Path entry, ServiceSpec spec, ModuleLayer parent)
            throws ServiceLoadException {
        try {
            return loadLocation(entry, spec, parent);
        } catch (ServiceLoadException e) {
            throw new ServiceLoadException("cannot search KMVIEW_MODULE_PATH entry " + entry + " for service \""
                    + spec.location() + "\" (fix the entry or remove it from KMVIEW_MODULE_PATH): "
                    + e.getMessage(), e);
        }
    }

    private static LoadedService requireName(LoadedService loaded, String name) throws ServiceLoadException {
        String actual = loaded.service().name();
        if (!actual.equals(name)) {
            throw new ServiceLoadException("service directory " + loaded.location() + " contains service \""
                    + actual + "\", not \"" + name + "\": rename the directory to " + actual
                    + " or load it by path");
        }
        return loaded;
    }

    private static String describeModulePath(List<Path> modulePath) {
        if (modulePath.isEmpty()) {
            return "empty";
        }
        return modulePath.stream().map(Path::toString).collect(Collectors.joining(":"));
    }

    /** Defines the layer of the service at {@code location} and instantiates its provider. */
    private static LoadedService loadLocation(Path location, ServiceSpec spec, ModuleLayer parent)
            throws ServiceLoadException {
        ModuleLayer layer = defineLayer(location, parent);
        ViewService service = instantiateProvider(layer, location);
        LOG.debug("loaded service \"{}\" from {} into a layer of modules {}", service.name(), location,
                layer.modules().stream().map(Module::getName).sorted().toList());
        return new LoadedService(service, layer, location, spec);
    }

    /**
     * Defines one module layer with one class loader for every module found at {@code location}.
     */
    private static ModuleLayer defineLayer(Path location, ModuleLayer parent) throws ServiceLoadException {
        try {
            ModuleFinder finder = ModuleFinder.of(location);

            Set<String> roots = new TreeSet<>();
            for (ModuleReference module : finder.findAll()) {
                String moduleName = module.descriptor().name();
                if (parent.findModule(moduleName).isPresent()) {
                    throw new ServiceLoadException("service " + location + " contains module " + moduleName
                            + (module.location().map(uri -> " (" + uri + ")").orElse(""))
                            + ", which kmview already provides: remove it from the service");
                }
                roots.add(moduleName);
            }
            requireJdkModulesInParent(finder, location, parent);

            // Binding adds the modules of the service that provide what other modules of it use.
            Configuration configuration = parent.configuration()
                    .resolveAndBind(finder, ModuleFinder.of(), roots);
            return ModuleLayer.defineModulesWithOneLoader(configuration, List.of(parent),
                    ClassLoader.getPlatformClassLoader()).layer();
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new ServiceLoadException("cannot load service " + location + ": " + describe(e)
                    + "; give a service jar, or a directory of jars, whose module provides org.kmview.spi.ViewService", e);
        }
    }

    /**
     * Rejects a service that requires a JDK module missing from the parent layer, which the
     * resolver would report only as "not found". kmview's boot layer contains just the JDK
     * modules that kmview requires, and a service layer cannot take a JDK module in itself
     * because its class loader cannot define classes in {@code java.*} packages.
     */
    private static void requireJdkModulesInParent(ModuleFinder finder, Path location, ModuleLayer parent)
            throws ServiceLoadException {
        ModuleFinder system = ModuleFinder.ofSystem();
        for (ModuleReference module : finder.findAll()) {
            for (ModuleDescriptor.Requires requires : module.descriptor().requires()) {
                String required = requires.name();
                boolean optional = requires.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC);
                if (!optional && finder.find(required).isEmpty() && parent.findModule(required).isEmpty()
                        && system.find(required).isPresent()) {
                    throw new ServiceLoadException("service " + location + " requires JDK module " + required
                            + " (from module " + module.descriptor().name() + "), which kmview's boot layer "
                            + "does not contain: start kmview with JDK_JAVA_OPTIONS=--add-modules=" + required);
                }
            }
        }
    }

    /** Instantiates the single {@code ViewService} provider defined in {@code layer} itself. */
    private static ViewService instantiateProvider(ModuleLayer layer, Path location) throws ServiceLoadException {
        List<ServiceLoader.Provider<ViewService>> providers;
        try {
            providers = ServiceLoader.load(layer, ViewService.class).stream()
                    .filter(provider -> provider.type().getModule().getLayer() == layer)
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new ServiceLoadException("invalid service provider in " + location + ": " + describe(e), e);
        }

        if (providers.isEmpty()) {
            throw new ServiceLoadException(location + " contains no kmview service (no provider of "
                    + SPI_TYPE + "): give the jar or directory of a kmview service");
        }
        if (providers.size() > 1) {
            String names = providers.stream().map(ServiceLayers::describeProvider).collect(Collectors.joining(", "));
            throw new ServiceLoadException(location + " contains " + providers.size() + " kmview services ("
                    + names + "): a service jar or directory must contain exactly one provider of " + SPI_TYPE);
        }

        ServiceLoader.Provider<ViewService> provider = providers.get(0);
        ViewService service;
        String name;
        try {
            service = provider.get();
            name = service.name();
        } catch (ServiceConfigurationError | RuntimeException e) {
            throw new ServiceLoadException("cannot create service " + describeProvider(provider) + " from "
                    + location + ": " + describe(e), e);
        }
        if (name == null || !SERVICE_NAME.matcher(name).matches()) {
            throw new ServiceLoadException("service " + describeProvider(provider) + " in " + location
                    + " has the invalid name \"" + name + "\": a name contains only letters, digits, - and _");
        }
        return service;
    }

    private static String describeProvider(ServiceLoader.Provider<ViewService> provider) {
        Class<?> type = provider.type();
        return type.getModule().getName() + "/" + type.getName();
    }

    /**
     * Returns the failure's message followed by the messages of its causes that add something,
     * on one line.
     */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message == null && cause.getCause() == null) {
                message = cause.getClass().getName();
            }
            if (message != null && text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(message);
            }
        }
        return text.toString().replace('\n', ' ');
    }
}
