package io.outpost.server;

import io.outpost.core.config.OutpostConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "config-reference", mixinStandardHelpOptions = true,
        description = "Prints every configuration setting: key, type, default and what it does.")
final class ConfigReferenceCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(OutpostConfig.reference());
        spec.commandLine().getOut().flush();
    }
}
