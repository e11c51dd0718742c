package org.kmview.launcher;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.kmview.core.NativeAccess;
import org.kmview.core.ServiceLoadException;
import org.kmview.core.ServiceSpec;
import org.kmview.core.View;
import org.kmview.core.ViewConfig;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@code kmview [OPTIONS] PROGRAM [ARGS...]}: runs a program in a new view.
 *
 * <p>The command line is described to picocli through its programmatic model, not annotations:
 * reading annotations makes the JVM generate a proxy class for each, which cost about 30 ms of
 * kmview's start-up on the benchmark machine.
 */
public final class Main {

    /** Exit status for invalid options or services, as for most Unix commands. */
    static final int USAGE_ERROR = 2;
    /** Maximum length of a view name in bytes, as viewname enforces it. */
    private static final int MAX_VIEW_NAME = 255;
    /** The environment variables with options for Java programs that bin/kmview keeps from kmview's JVM. */
    private static final List<String> SAVED_JAVA_OPTIONS = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS",
            "_JAVA_OPTIONS");

    private List<String> preload = new ArrayList<>();
    private String viewName = "";
    private Path output;
    private boolean secure;
    private Path rcFile;
    private boolean noNesting;
    private List<String> program = new ArrayList<>();

    private final KmviewHome home;

    Main(KmviewHome home) {
        this.home = home;
    }

    /** Runs kmview and exits with the program's status. */
    public static void main(String[] args) {
        // Loading JNA overlaps parsing the command line. The thread touches no logger, so the
        // logging set-up below still comes first. A failure shows again at the first real use.
        Thread nativeLoad = new Thread(Main::loadNativeAccess, "kmview-native-load");
        nativeLoad.setDaemon(true);
        nativeLoad.start();
        System.exit(run(args, new PrintWriter(System.err, true)));
    }

    private static void loadNativeAccess() {
        try {
            NativeAccess.load();
        } catch (LinkageError | RuntimeException e) {
            // Reported where the view needs the C library.
        }
    }

    static int run(String[] args, PrintWriter err) {
        KmviewHome home = KmviewHome.fromSystemProperties();
        CommandLine commandLine = new CommandLine(commandSpec("kmview " + home.version()));
        ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(args);
        } catch (ParameterException e) {
            err.println("kmview: " + e.getMessage());
            err.println("Try 'kmview --help' for more information.");
            return USAGE_ERROR;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        Main main = new Main(home);
        main.preload = parsed.matchedOptionValue("-p", new ArrayList<>());
        main.viewName = parsed.matchedOptionValue("-V", "");
        main.output = parsed.matchedOptionValue("-o", null);
        main.secure = parsed.matchedOptionValue("-s", false);
        main.rcFile = parsed.matchedOptionValue("-f", null);
        main.noNesting = parsed.matchedOptionValue("-x", false);
        main.program = parsed.matchedPositionalValue(0, new ArrayList<>());
        try {
            return main.call();
        } catch (IOException e) {
            err.println("kmview: " + e.getMessage());
            return 1;
        }
    }

    /** Returns kmview's options and parameters, with the texts of its help. */
    private static CommandSpec commandSpec(String version) {
        CommandSpec spec = CommandSpec.create().name("kmview").version(version);
        spec.parser().stopAtPositional(true);
        // A repeated option is not an error, as in most Unix commands: the last value counts.
        spec.parser().overwrittenOptionsAllowed(true);
        spec.usageMessage()
                .sortOptions(false)
                .autoWidth(true)
                // picocli's own synopsis would join an option and its value with "=".
                .customSynopsis("kmview [-hsvx] [-f FILE] [-o FILE] [-V NAME] [-p SERVICE[,OPTIONS]]...",
                        "       PROGRAM [ARGS...]")
                .description("Runs PROGRAM and every process it starts in a view: a private picture of the"
                        + " system that services (-p) change. With no service the view is the real system.")
                .footer("", "Inside the view, kmview's bin directory is appended to PATH: viewmount and"
                        + " viewumount mount and unmount the file systems of services, viewname and vuname show"
                        + " the view, um_add_service, um_del_service, um_ls_service and um_mov_service manage its"
                        + " services (docs/commands.md).",
                        "Exit status: the program's, or 128+N if signal N killed it; 126 if PROGRAM cannot be"
                        + " run and 127 if it is not found; 2 for invalid options; 125 when an rc file failed;"
                        + " 1 inside another view.");

        spec.addOption(OptionSpec.builder("-p", "--preload").paramLabel("SERVICE[,OPTIONS]")
                .type(List.class).auxiliaryTypes(String.class)
                .description("Load a service before the program starts: a name from the distribution's"
                        + " services/ or KMVIEW_MODULE_PATH, or the path of a service jar or directory."
                        + " May be repeated.")
                .build());
        spec.addOption(OptionSpec.builder("-V", "--viewname").paramLabel("NAME").type(String.class)
                .description("Name the view.").build());
        spec.addOption(OptionSpec.builder("-o", "--output").paramLabel("FILE").type(Path.class)
                .description("Write the debug log to FILE (stderr shows only warnings and errors).").build());
        spec.addOption(OptionSpec.builder("-s", "--secure").type(boolean.class)
                .description("Secure mode: the program starts as root of the view (uid and gid 0), and the"
                        + " view keeps every process's user and group ids and the owners given with chown."
                        + " The kernel still checks file access as the user who runs kmview.")
                .build());
        spec.addOption(OptionSpec.builder("-f", "--rc").paramLabel("FILE").type(Path.class)
                .description("Run the executable FILE in the view before the program, in place of"
                        + " ~/.viewosrc. /etc/viewosrc runs first in any case.")
                .build());
        spec.addOption(OptionSpec.builder("-x", "--nonesting").type(boolean.class)
                .description("Services open mount sources on the host file system, not through the view.").build());
        spec.addOption(OptionSpec.builder("-v", "--version").type(boolean.class).versionHelp(true)
                .description("Print the version and exit.").build());
        spec.addOption(OptionSpec.builder("-h", "--help").type(boolean.class).usageHelp(true)
                .description("Print this help and exit.").build());

        spec.addPositional(PositionalParamSpec.builder().index("0..*").arity("1..*").required(true)
                .paramLabel("PROGRAM [ARGS...]").hideParamSyntax(true)
                .type(List.class).auxiliaryTypes(String.class)
                .description("The program to run, searched in PATH, and its arguments, passed unchanged.")
                .build());
        return spec;
    }

    private int call() throws IOException {
        if (output != null) {
            try {
                Files.newOutputStream(output).close();
            } catch (IOException e) {
                String reason = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : String.valueOf(e.getMessage());
                return usageError("cannot write the debug log " + output + ": " + reason
                        + "; give -o a file in a writable directory");
            }
        }
        Logging.configure(output);
        if (rcFile != null && !Files.isRegularFile(rcFile)) {
            return usageError("rc file " + rcFile + " not found or not a regular file; give -f an executable file");
        }
        if (viewName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_VIEW_NAME) {
            return usageError("view name given to -V is longer than " + MAX_VIEW_NAME + " bytes; give a shorter one");
        }

        List<ServiceSpec> services = new ArrayList<>();
        for (String text : preload) {
            try {
                services.add(ServiceSpec.parse(text));
            } catch (IllegalArgumentException e) {
                return usageError("-p " + text + ": " + e.getMessage());
            }
        }

        int enclosing = View.enclosingView();
        if (enclosing > 0) {
            System.err.println("kmview: already inside the view of kmview " + enclosing
                    + ", and a view cannot start another; add services with -p when starting the outer kmview");
            return 1;
        }

        ViewConfig config = new ViewConfig(ProcessInfo.rawArguments(program), environment(), home.inheritedFds(),
                home.signalMasks(), home.execStub(), services, home.servicesDirectory(), home.modulePath(), viewName, rcFiles(),
                !noNesting, secure);
        View view;
        try {
            view = View.create(config);
        } catch (ServiceLoadException e) {
            Logging.debugFailure("cannot load a service", e);
            return usageError(e.getMessage());
        }
        Signals.install(view);
        try {
            return view.run();
        } catch (RuntimeException e) {
            Logging.debugFailure("the view failed", e);
            System.err.println("kmview: " + e.getMessage());
            return 1;
        }
    }

    /** Returns the rc files to run: /etc/viewosrc if it exists, then -f FILE or else ~/.viewosrc if it exists. */
    private List<Path> rcFiles() {
        List<Path> files = new ArrayList<>();
        Path system = Path.of("/etc/viewosrc");
        if (Files.exists(system)) {
            files.add(system);
        }
        if (rcFile != null) {
            files.add(rcFile.toAbsolutePath());
        } else {
            String home = System.getenv("HOME");
            Path user = Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"), ".viewosrc");
            if (Files.exists(user)) {
                files.add(user);
            }
        }
        return files;
    }

    private static int usageError(String message) {
        Logging.debugFailure(message, null);
        System.err.println("kmview: " + message);
        return USAGE_ERROR;
    }

    /**
     * Returns kmview's own environment with kmview's bin directory appended to PATH. The caller's
     * options for Java programs get their own names back, because bin/kmview renamed them to
     * {@code KMVIEW_SAVED_NAME} to keep them from kmview's JVM.
     */
    private List<String> environment() throws IOException {
        List<String> environment = new ArrayList<>();
        String bin = home.binDirectory().toString();
        boolean pathSeen = false;
        boolean pwdUnset = Boolean.getBoolean("kmview.pwdUnset");
        for (String entry : ProcessInfo.rawEnvironment()) {
            if (pwdUnset && entry.startsWith("PWD=")) {
                continue;
            }
            String restored = savedJavaOption(entry);
            if (restored != null) {
                environment.add(restored);
            } else if (entry.startsWith("PATH=") && !pathSeen) {
                pathSeen = true;
                String value = entry.substring(5);
                environment.add(value.isEmpty() ? "PATH=" + bin : entry + ":" + bin);
            } else {
                environment.add(entry);
            }
        }
        if (!pathSeen) {
            // execvp's search path when PATH is unset.
            environment.add("PATH=/bin:/usr/bin:" + bin);
        }
        return environment;
    }

    /** Returns {@code NAME=value} for an entry {@code KMVIEW_SAVED_NAME=value} of bin/kmview, else null. */
    private static String savedJavaOption(String entry) {
        for (String name : SAVED_JAVA_OPTIONS) {
            String saved = "KMVIEW_SAVED_" + name + "=";
            if (entry.startsWith(saved)) {
                return name + "=" + entry.substring(saved.length());
            }
        }
        return null;
    }

    /** Reads a whole small file as a byte string. */
    static String readBytes(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }
}
