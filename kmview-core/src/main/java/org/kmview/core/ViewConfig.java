package org.kmview.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything a view needs to start. Strings that reach the program (arguments, environment)
 * are byte strings: one char per byte, so they pass through unchanged whatever the locale.
 *
 * @param program the program and its arguments; the program is searched in PATH
 * @param environment the program's environment as {@code NAME=VALUE} entries
 * @param keepFds the descriptors the program inherits from kmview's caller. Any other one, 0 to 2
 *        included, is closed in the program.
 * @param signalMasks the signals the program starts with ignored and blocked, as
 *        {@code IGNORED:BLOCKED} masks of 16 hex digits in the form of /proc/PID/status, or an
 *        empty string to keep those of kmview's JVM
 * @param execStub the path of kmview-exec
 * @param services the services to load, in order
 * @param servicesDirectory the distribution's services/ directory
 * @param modulePath further places to look for services (KMVIEW_MODULE_PATH)
 * @param viewName the view's name, or an empty string
 * @param rcFiles executables run in the view, in order, before the program
 * @param nesting whether services see mount sources through the view ({@code kmview -x} clears it)
 * @param secure whether the view keeps its own user and group ids, starting as root ({@code kmview -s})
 */
public record ViewConfig(List<String> program, List<String> environment, List<Integer> keepFds,
                         String signalMasks, Path execStub,
                         List<ServiceSpec> services, Path servicesDirectory, List<Path> modulePath,
                         String viewName, List<Path> rcFiles, boolean nesting, boolean secure) {

    /** Checks that no component is null and the program is not empty. */
    public ViewConfig {
        Objects.requireNonNull(program, "program");
        if (program.isEmpty()) {
            throw new IllegalArgumentException("no program to run");
        }
        program = List.copyOf(program);
        environment = List.copyOf(environment);
        keepFds = List.copyOf(keepFds);
        Objects.requireNonNull(signalMasks, "signalMasks");
        Objects.requireNonNull(execStub, "execStub");
        services = List.copyOf(services);
        Objects.requireNonNull(servicesDirectory, "servicesDirectory");
        modulePath = List.copyOf(modulePath);
        Objects.requireNonNull(viewName, "viewName");
        rcFiles = List.copyOf(rcFiles);
    }
}
