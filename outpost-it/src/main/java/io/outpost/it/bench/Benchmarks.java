package io.outpost.it.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Outpost's benchmarks: runnable programs that print their figures and write them as JSON. */
@Command(name = "outpost-bench", mixinStandardHelpOptions = true,
        description = "Runs a benchmark, prints its figures beside a baseline measured in the same run, writes JSON.",
        subcommands = {CaptureBenchmark.class, ProjectorBenchmark.class, GatewayBenchmark.class, FailoverBenchmark.class,
                ChaosBenchmark.class, CommandLine.HelpCommand.class})
public final class Benchmarks implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            // named, not found by default: the production jar on the class path carries a logback.xml of its own
            System.setProperty("logback.configurationFile", "logback-bench.xml");
        }
        System.exit(new CommandLine(new Benchmarks()).execute(args));
    }
}
