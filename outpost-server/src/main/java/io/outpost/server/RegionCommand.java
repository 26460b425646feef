package io.outpost.server;

import io.outpost.control.RegionStateTopic;
import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.region.Drain;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code outpost region drain|undrain R}: an operator's control of a region's commands, as the
 * seeds' routing controls are. A drained region takes no commands — other regions send around it,
 * and its own gateway does not use its own link to the monolith — while it still answers queries.
 * The word goes on the region-state topic, which every gateway reads and which keeps it across
 * restarts; {@code outpost status} shows it.
 */
@Command(name = "region", mixinStandardHelpOptions = true,
        description = "Operator controls of a region: drain (no commands through it; reads still served) or undrain.",
        subcommands = {RegionCommand.DrainCommand.class, RegionCommand.UndrainCommand.class})
final class RegionCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Publishes the drain or undrain of {@code region}; returns the exit code. */
    static int publish(OutpostConfig config, String region, boolean drained, String reason, PrintWriter out, PrintWriter err) {
        if (!config.regions().containsKey(region)) {
            err.println("outpost region: there is no region " + region + " in the configuration; its regions are "
                    + config.regions().keySet());
            return 2;
        }
        Drain drain = new Drain(region, drained, Instant.now(), operator(), reason == null ? "" : reason);
        try {
            RegionStateTopic.ensure(config.log().access());
            try (RegionStateTopic.Publisher publisher = RegionStateTopic.Publisher.open(config.log().access(),
                    "outpost-region-" + (drained ? "drain" : "undrain"))) {
                publisher.publish(drain);
            }
        } catch (OutpostException e) {
            err.println("outpost region: " + e.getMessage());
            return 1;
        }
        out.println(drained
                ? "region " + region + " drained: no commands go through it (other regions send around it; its own link "
                        + "to the monolith is not used); it still answers queries. Every gateway follows within moments. "
                        + "`outpost region undrain " + region + "` undoes it."
                : "region " + region + " undrained: it takes commands again.");
        out.flush();
        return 0;
    }

    private static String operator() {
        String user = System.getProperty("user.name", "unknown");
        try {
            return user + "@" + InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return user;
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "No commands go through REGION (its reads go on); kept on the region-state topic until undrained.")
    static final class DrainCommand extends ConfigCommand {

        @Parameters(paramLabel = "REGION", description = "The region to drain.")
        String region;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, shown to the other operators.")
        String reason;

        @Override
        int run(OutpostConfig config, PrintWriter out, PrintWriter err) {
            return publish(config, region, true, reason, out, err);
        }
    }

    @Command(name = "undrain", mixinStandardHelpOptions = true, description = "REGION takes commands again.")
    static final class UndrainCommand extends ConfigCommand {

        @Parameters(paramLabel = "REGION", description = "The region to undrain.")
        String region;

        @Override
        int run(OutpostConfig config, PrintWriter out, PrintWriter err) {
            return publish(config, region, false, null, out, err);
        }
    }
}
