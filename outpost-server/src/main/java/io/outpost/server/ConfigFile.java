package io.outpost.server;

import io.outpost.core.config.ConfigException;
import io.outpost.core.config.OutpostConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --config FILE} option of the commands that read a configuration (a picocli mixin), and
 * the reading, with messages that say what went wrong.
 */
final class ConfigFile {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The configuration file (YAML).")
    Path path;

    /**
     * The configuration, with the environment substituted; empty after printing to {@code err} why
     * it cannot be used (commands other than validate).
     */
    Optional<OutpostConfig> load(PrintWriter err) {
        try {
            return Optional.of(OutpostConfig.parse(read(), System::getenv));
        } catch (IllegalArgumentException e) {
            err.println("outpost: " + e.getMessage());
        } catch (ConfigException e) {
            err.println("outpost: " + path + " is not a valid configuration (run outpost validate --config " + path
                    + "):\n" + e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * The file's text.
     *
     * @throws IllegalArgumentException saying why it cannot be read
     */
    String read() {
        try {
            return Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read the configuration " + path + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the configuration " + path + ": " + e.getMessage());
        }
    }
}
