package org.kmview.launcher;

import java.net.URI;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.MessageFactory;
import org.apache.logging.log4j.simple.SimpleLogger;
import org.apache.logging.log4j.spi.ExtendedLogger;
import org.apache.logging.log4j.spi.LoggerContext;
import org.apache.logging.log4j.spi.LoggerContextFactory;
import org.apache.logging.log4j.spi.Provider;
import org.apache.logging.log4j.util.PropertiesUtil;

/**
 * The log4j provider that {@link Logging} selects when kmview writes no debug log. Warnings and
 * errors go to stderr as one line each, {@code kmview: warn: MESSAGE}, without stack traces: the
 * form of kmview's other messages and of its stderr with {@code -o}. It needs none of
 * log4j-core's classes, which take longer to load. log4j-api's own simple logger would start each
 * line with {@code WARN} and print stack traces.
 */
public final class StderrLogProvider extends Provider {

    /** Below log4j-core's priority, so this provider is used only when selected by name. */
    private static final int PRIORITY = 1;
    /** The log4j-api versions this provider works with. */
    private static final String API_VERSIONS = "2.6.0";

    private static final ContextFactory FACTORY = new ContextFactory();

    /** Creates the provider. log4j-api calls this when the {@code log4j2.provider} property names the class. */
    public StderrLogProvider() {
        super(PRIORITY, API_VERSIONS);
    }

    @Override
    public LoggerContextFactory getLoggerContextFactory() {
        return FACTORY;
    }

    /** The single logger context of the JVM. */
    private static final class ContextFactory implements LoggerContextFactory {
        private final StderrContext context = new StderrContext();

        @Override
        public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext) {
            return context;
        }

        @Override
        public LoggerContext getContext(String fqcn, ClassLoader loader, Object externalContext, boolean currentContext,
                                        URI configLocation, String name) {
            return context;
        }

        @Override
        public void removeContext(LoggerContext removed) {
        }

        @Override
        public boolean isClassLoaderDependent() {
            return false;
        }
    }

    /** Loggers by name, each writing warnings and errors to stderr. */
    private static final class StderrContext implements LoggerContext {
        private final ConcurrentMap<String, ExtendedLogger> loggers = new ConcurrentHashMap<>();

        @Override
        public Object getExternalContext() {
            return null;
        }

        @Override
        public ExtendedLogger getLogger(String name) {
            return loggers.computeIfAbsent(name, StderrLogger::new);
        }

        @Override
        public ExtendedLogger getLogger(String name, MessageFactory messageFactory) {
            return getLogger(name);
        }

        @Override
        public boolean hasLogger(String name) {
            return loggers.containsKey(name);
        }

        @Override
        public boolean hasLogger(String name, MessageFactory messageFactory) {
            return hasLogger(name);
        }

        @Override
        public boolean hasLogger(String name, Class<? extends MessageFactory> messageFactoryClass) {
            return hasLogger(name);
        }
    }

    /** log4j-api's simple logger at level WARN, with kmview's line format. */
    private static final class StderrLogger extends SimpleLogger {
        private static final long serialVersionUID = 1L;

        StderrLogger(String name) {
            super(name, Level.WARN, false, false, false, false, null, null, PropertiesUtil.getProperties(), System.err);
        }

        @Override
        public void logMessage(String fqcn, Level level, Marker marker, Message message, Throwable throwable) {
            System.err.println("kmview: " + level.name().toLowerCase(Locale.ROOT) + ": " + message.getFormattedMessage());
        }
    }
}
