package org.kmview.launcher;

import java.nio.file.Path;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.api.RootLoggerComponentBuilder;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.kmview.core.Log;

/**
 * Sets up log4j2: warnings and errors on stderr as one line each, and with {@code -o FILE}
 * everything down to debug in FILE, stack traces included. Without {@code -o}
 * {@link StderrLogProvider} writes the warnings, so log4j-core is never loaded.
 */
final class Logging {

    private static boolean debugFile;

    private Logging() {
    }

    static void configure(Path output) {
        if (output == null) {
            // log4j-core takes a few hundred classes to start, and warnings alone do not need it.
            // kmview's Log sets log4j up at the first warning, if any.
            System.setProperty("log4j2.provider", StderrLogProvider.class.getName());
            return;
        }
        ConfigurationBuilder<BuiltConfiguration> builder = ConfigurationBuilderFactory.newConfigurationBuilder();
        builder.setStatusLevel(Level.ERROR);
        builder.setConfigurationName("kmview");

        AppenderComponentBuilder stderr = builder.newAppender("stderr", "Console")
                .addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
                .add(builder.newLayout("PatternLayout")
                        .addAttribute("pattern", "kmview: %level{lowerCase=true}: %m%n")
                        .addAttribute("alwaysWriteExceptions", false))
                .add(builder.newFilter("ThresholdFilter", Filter.Result.ACCEPT, Filter.Result.DENY)
                        .addAttribute("level", Level.WARN));
        builder.add(stderr);
        RootLoggerComponentBuilder root = builder.newRootLogger(Level.DEBUG)
                .add(builder.newAppenderRef("stderr"));
        builder.add(builder.newAppender("debug", "File")
                .addAttribute("fileName", output.toString())
                .addAttribute("append", false)
                .add(builder.newLayout("PatternLayout")
                        .addAttribute("pattern", "%d{HH:mm:ss.SSS} %-5level %logger{1}: %m%n")));
        root.add(builder.newAppenderRef("debug"));
        debugFile = true;
        builder.add(root);
        Configurator.initialize(builder.build());
        Log.enableDebugLog();
    }

    /** Logs a failure, with the stack trace of {@code failure} if not null, to the debug file, if there is one. */
    static void debugFailure(String message, Throwable failure) {
        if (debugFile) {
            Logger log = LogManager.getLogger(Main.class);
            log.debug(message, failure);
        }
    }
}
