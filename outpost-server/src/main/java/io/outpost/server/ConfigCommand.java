package io.outpost.server;

import io.outpost.core.config.OutpostConfig;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that works on a configuration: it takes {@code --config FILE}, reads it, and exits 1
 * saying why when it cannot be used; otherwise it {@link #run runs} with it.
 */
abstract class ConfigCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigFile config;

    @Override
    public final Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Optional<OutpostConfig> loaded = config.load(err);
        return loaded.isEmpty() ? 1 : run(loaded.get(), spec.commandLine().getOut(), err);
    }

    /** Does the command's work with the configuration read; returns the exit code. */
    abstract int run(OutpostConfig config, PrintWriter out, PrintWriter err) throws Exception;
}
