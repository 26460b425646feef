package io.outpost.server;

import io.outpost.core.config.ConfigException;
import io.outpost.core.config.ConfigProblem;
import io.outpost.core.config.OutpostConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a configuration file: prints ok, or every problem with its key, and exits 1.",
            "Environment variables referenced as ${NAME} are resolved from this shell."})
final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigFile config;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String text;
        try {
            text = config.read();
        } catch (IllegalArgumentException e) {
            err.println("outpost: " + e.getMessage());
            return 1;
        }
        try {
            OutpostConfig.parse(text, System::getenv);
            out.println("ok");
            return 0;
        } catch (ConfigException e) {
            out.println(config.path + ": " + (e.problems().size() == 1 ? "1 problem" : e.problems().size() + " problems"));
            for (ConfigProblem problem : e.problems()) {
                out.println("  - " + problem);
            }
            return 1;
        }
    }
}
