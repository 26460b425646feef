package io.outpost.server;

import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs this process's share of a distributed deployment until stopped (Ctrl-C or SIGTERM):",
            "the given roles of one region, against the Kafka cluster and the PostgreSQL databases the",
            "configuration names. Standby projectors and captures wait for the active one to stop."})
final class RunCommand extends ConfigCommand {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunCommand.class);

    @Option(names = "--region", paramLabel = "REGION",
            description = "The region whose roles run here (not needed when the only role is capture).")
    String region;

    @Option(names = "--roles", split = ",", paramLabel = "ROLE", defaultValue = "projector,gateway,monitor",
            description = "Which roles, comma-separated: capture, projector, gateway, monitor (default: ${DEFAULT-VALUE}).")
    List<Deployment.Role> roles;

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) throws InterruptedException {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        ProcessLog.ownFile(region, roles);
        Deployment deployment;
        long starting = System.currentTimeMillis();
        try {
            deployment = Deployment.start(parsed, region, EnumSet.copyOf(roles));
        } catch (OutpostException e) {
            err.println("outpost run did not start: " + e.getMessage());
            err.println("details are in " + System.getProperty("outpost.log.file", "the log"));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("stopping…");
            out.flush();
            deployment.close();
            out.println("stopped.");
            out.flush();
            stopped.countDown();
        }, "outpost-run-shutdown"));
        out.println("outpost run" + (region == null ? "" : ": region " + region) + ": " + deployment.describe()
                + " running; log in " + System.getProperty("outpost.log.file", "the console") + "; Ctrl-C or SIGTERM stops it");
        long jvmStarted = ManagementFactory.getRuntimeMXBean().getStartTime();
        String started = "started " + (System.currentTimeMillis() - jvmStarted) + " ms after the JVM"
                + (deployment.gatewayListeningAt() > 0 ? " (gateway listening after " + (deployment.gatewayListeningAt() - jvmStarted)
                + " ms)" : "") + ": " + (starting - jvmStarted) + " ms to read the configuration, then " + deployment.startTimes();
        out.println(started);
        out.flush();
        LOG.info(started);
        stopped.await();
        return 0;
    }
}
