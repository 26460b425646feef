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

    @Option(names = "--management", paramLabel = "HOST:PORT", defaultValue = "${env:OUTPOST_MANAGEMENT:-127.0.0.1:0}",
            description = {"Where this process serves /outpost/health and /outpost/metrics (plain HTTP, no authentication:",
                "an address only operators reach). Port 0 takes a free one, printed at start. Default: ${DEFAULT-VALUE}",
                "(environment variable OUTPOST_MANAGEMENT)."})
    String management;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "${env:OUTPOST_LOG_FORMAT:-text}",
            description = {"The log file's lines: text, or json (one object a line with time, level, logger, thread,",
                "message, region, roles, trace_id and span_id; environment variable OUTPOST_LOG_FORMAT). Default: ${DEFAULT-VALUE}."})
    String logFormat;

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) throws InterruptedException {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        if (!"text".equals(logFormat) && !"json".equals(logFormat)) {
            err.println("outpost run did not start: --log-format must be text or json, but was \"" + logFormat + "\"");
            return 2;
        }
        ProcessLog.ownFile(region, roles);
        if ("json".equals(logFormat)) {
            ProcessLog.asJson(region, roles);
        }
        int colon = management.lastIndexOf(':');
        int port = colon < 0 ? -1 : parsePort(management.substring(colon + 1));
        if (port < 0) {
            err.println("outpost run did not start: --management must be HOST:PORT with a port from 0 to 65535, but was \""
                    + management + "\"");
            return 2;
        }
        String host = management.substring(0, colon).replace("[", "").replace("]", "");
        Deployment deployment;
        long starting = System.currentTimeMillis();
        try {
            deployment = Deployment.start(parsed, region, EnumSet.copyOf(roles));
        } catch (OutpostException e) {
            err.println("outpost run did not start: " + e.getMessage());
            err.println("details are in " + System.getProperty("outpost.log.file", "the log"));
            return 1;
        }
        Management served;
        try {
            served = Management.start(host, port, deployment::health, deployment.registry(), deployment::dashboard);
        } catch (OutpostException e) {
            deployment.close();
            err.println("outpost run did not start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("stopping…");
            out.flush();
            served.close();
            deployment.close();
            out.println("stopped.");
            out.flush();
            stopped.countDown();
        }, "outpost-run-shutdown"));
        out.println("outpost run" + (region == null ? "" : ": region " + region) + ": " + deployment.describe()
                + " running; management on " + served.url()
                + "; log in " + System.getProperty("outpost.log.file", "the console") + "; Ctrl-C or SIGTERM stops it");
        long jvmStarted = ManagementFactory.getRuntimeMXBean().getStartTime();
        String started = "started " + (System.currentTimeMillis() - jvmStarted) + " ms after the JVM"
                + (deployment.gatewayListeningAt() > 0 ? " (gateway listening after " + (deployment.gatewayListeningAt() - jvmStarted)
                + " ms)" : "") + ": " + (starting - jvmStarted) + " ms to read the configuration, then " + deployment.startTimes()
                + "; management on " + served.url();
        out.println(started);
        out.flush();
        LOG.info(started);
        stopped.await();
        return 0;
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            return port >= 0 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
