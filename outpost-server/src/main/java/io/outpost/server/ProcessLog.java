package io.outpost.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log file of an {@code outpost run} process: one of its own, named by its region and roles, in
 * the directory of the default log file, so that processes on one machine neither mix their lines
 * nor truncate each other's file at start. A file given with {@code -Doutpost.log.file} stays as given.
 */
final class ProcessLog {

    /** The file appender of {@code logback.xml}. */
    private static final String APPENDER = "FILE";
    /** Set by {@link Main#exit} when it chose the log file (the user did not). */
    static final String DEFAULT_CHOSEN = "outpost.log.file.default";

    private ProcessLog() {
    }

    /** {@code outpost-<region>-<role>+<role>.log}; without a region (capture alone), {@code outpost-<roles>.log}. */
    static String name(String region, Collection<Deployment.Role> roles) {
        return "outpost-" + (region == null ? "" : region + "-") + joined(roles, "+") + ".log";
    }

    /** The roles' names in order, each once: {@code projector+gateway}. */
    private static String joined(Collection<Deployment.Role> roles, String separator) {
        return roles.stream().distinct().sorted().map(role -> role.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(separator));
    }

    /** The file appender of {@code logback.xml}, when Logback logs and has it. */
    private static Optional<FileAppender<ILoggingEvent>> fileAppender() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
                && context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER) instanceof FileAppender<ILoggingEvent> file) {
            return Optional.of(file);
        }
        return Optional.empty();
    }

    /**
     * Writes the log file as JSON lines ({@link JsonLines}) naming {@code region} and {@code roles};
     * nothing changes when the file is not Logback's appender of {@code logback.xml}.
     */
    static void asJson(String region, Collection<Deployment.Role> roles) {
        fileAppender().ifPresent(file -> {
            JsonLines encoder = new JsonLines();
            encoder.setContext(file.getContext());
            encoder.process(region, joined(roles, ","));
            encoder.start();
            file.stop();
            file.setEncoder(encoder);
            file.start();
        });
    }

    /**
     * Moves the log file to this process's own, next to the default one, unless the user named the
     * file; returns the file the log goes to now.
     */
    static String ownFile(String region, Collection<Deployment.Role> roles) {
        String current = System.getProperty("outpost.log.file");
        Optional<FileAppender<ILoggingEvent>> appender = fileAppender();
        if (current == null || !Boolean.getBoolean(DEFAULT_CHOSEN) || appender.isEmpty()) {
            return current;
        }
        FileAppender<ILoggingEvent> file = appender.get();
        Path parent = Path.of(current).toAbsolutePath().getParent();
        String own = parent.resolve(name(region, roles)).toString();
        file.stop();
        file.setFile(own);
        file.start();
        System.setProperty("outpost.log.file", own);
        return own;
    }
}
