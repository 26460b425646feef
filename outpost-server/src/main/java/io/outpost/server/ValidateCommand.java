package io.outpost.server;

import io.outpost.core.config.ConfigException;
import io.outpost.core.config.ConfigProblem;
import io.outpost.core.config.OutpostConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a configuration file: prints ok, or every problem with its key, and exits 1.",
            "Environment variables referenced as ${NAME} are resolved from this shell."})
final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The configuration file (YAML).")
    Path config;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text;
        try {
            text = ConfigFiles.read(config);
        } catch (IllegalArgumentException e) {
            err.println("outpost: " + e.getMessage());
            return 1;
        }
        try {
            OutpostConfig.parse(text, System::getenv);
            out.println("ok");
            return 0;
        } catch (ConfigException e) {
            out.println(config + ": " + (e.problems().size() == 1 ? "1 problem" : e.problems().size() + " problems"));
            for (ConfigProblem problem : e.problems()) {
                out.println("  - " + problem);
            }
            return 1;
        }
    }

    /** Reading a configuration file, with messages that say what went wrong. */
    static final class ConfigFiles {

        private ConfigFiles() {
        }

        /**
         * The configuration in {@code file}, with the environment substituted; empty after printing
         * to {@code err} why it cannot be used (commands other than validate).
         */
        static java.util.Optional<OutpostConfig> load(Path file, PrintWriter err) {
            try {
                return java.util.Optional.of(OutpostConfig.parse(read(file), System::getenv));
            } catch (IllegalArgumentException e) {
                err.println("outpost: " + e.getMessage());
            } catch (ConfigException e) {
                err.println("outpost: " + file + " is not a valid configuration (run outpost validate --config " + file
                        + "):\n" + e.getMessage());
            }
            return java.util.Optional.empty();
        }

        static String read(Path file) {
            try {
                return Files.readString(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("cannot read the configuration " + file + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the configuration " + file + ": " + e.getMessage());
            }
        }
    }
}
