package io.outpost.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code outpost demo}: starts {@link Demo}, prints its banner, and a status line every interval until stopped. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the whole thing on this machine, with nothing installed but a JDK.",
            "Starts an embedded PostgreSQL, an in-process Kafka broker and the example shop with a seeded",
            "dataset, prints the addresses and example requests, and stops it all on Ctrl-C."})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the demo keeps its data and log; emptied at start (default: <tmp>/outpost-demo).")
    Path dataDirectory = Path.of(System.getProperty("java.io.tmpdir"), "outpost-demo");

    @Option(names = "--shop-port", paramLabel = "PORT", defaultValue = "8080",
            description = "The shop's port; a taken port means a free one (default: ${DEFAULT-VALUE}).")
    int shopPort;

    @Option(names = "--status-interval", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "How often the demo prints the regions' watermarks (ISO-8601, default: 10 s).")
    java.time.Duration statusInterval;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Files.createDirectories(dataDirectory);
        // Before the first logger exists: the chatter of Kafka, Jetty and the rest goes to this file.
        System.setProperty("outpost.log.file", dataDirectory.resolve("outpost.log").toString());
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();

        Demo demo;
        try {
            demo = Demo.start(Demo.Options.defaults(dataDirectory).withShopPort(shopPort));
        } catch (RuntimeException e) {
            err.println("outpost demo did not start: " + e.getMessage());
            err.println("details are in " + dataDirectory.resolve("outpost.log"));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            out.println("\nstopping the demo…");
            out.flush();
            demo.close();
            out.println("stopped.");
            out.flush();
            stopped.countDown();
        }, "outpost-demo-shutdown"));
        out.print(new DemoBanner(demo).text());
        out.flush();
        // the console: "down R" and "up R" take a region's gateway and monitor down and up
        Thread.ofPlatform().daemon().name("outpost-demo-console").start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null && !stopping.get(); line = in.readLine()) {
                    String answer = console(demo, line);
                    if (!answer.isEmpty()) {
                        out.println(answer);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // no console (input closed): the demo runs on without one
            }
        });
        // a compact line of where the regions stand, until Ctrl-C
        while (!stopped.await(statusInterval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            if (!stopping.get()) {
                out.println(demo.statusLine());
                out.flush();
            }
        }
        return 0;
    }

    /** What a console line asks of the demo: {@code down R}, {@code up R}; anything else gets the usage. */
    static String console(Demo demo, String line) {
        String[] words = line.strip().split("\\s+");
        if (words.length == 1 && words[0].isEmpty()) {
            return "";
        }
        if (words.length == 2 && words[0].equals("down")) {
            return demo.down(words[1]);
        }
        if (words.length == 2 && words[0].equals("up")) {
            return demo.up(words[1]);
        }
        return "type `down REGION` or `up REGION` (regions: " + String.join(", ", demo.config().regions().keySet())
                + "), or Ctrl-C to stop";
    }
}
