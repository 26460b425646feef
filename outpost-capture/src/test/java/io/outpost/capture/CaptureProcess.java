package io.outpost.capture;

import io.outpost.core.config.OutpostConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A capture in its own JVM, so a test can {@code kill -9} it. */
final class CaptureProcess implements AutoCloseable {

    private static final String READY = "CAPTURE-READY";
    private final Process process;

    private CaptureProcess(Process process) {
        this.process = process;
    }

    static CaptureProcess start(String name, String url, String bootstrap) throws IOException {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(javaBin.toString(), "-Dlogback.configurationFile=logback-child.xml", "-cp", System.getProperty("java.class.path"),
                CaptureProcess.class.getName(), name, url, bootstrap))
                .redirectErrorStream(true).start();
        var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.contains(READY)) {
                Path logFile = Path.of("target", "capture-" + name + ".log");
                Thread drain = new Thread(() -> {
                    try (var out = java.nio.file.Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                        for (String l; (l = reader.readLine()) != null; ) {
                            out.write(l);
                            out.newLine();
                            out.flush();
                        }
                    } catch (IOException ignored) {
                        // the process died: that is what these tests do to it
                    }
                }, "drain-" + name);
                drain.setDaemon(true);
                drain.start();
                return new CaptureProcess(process);
            }
        }
        throw new IOException("the capture process ended before it was ready");
    }

    /** {@code kill -9}: no shutdown hook, no flush, no goodbye. */
    void killHard() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        killHard();
    }

    public static void main(String[] args) throws InterruptedException {
        String yaml = """
                source: { name: %s, url: "%s", user: postgres, tables: [customers, orders, order_lines], heartbeat-interval: 200ms }
                log: { bootstrap-servers: "%s" }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                """.formatted(args[0], args[1], args[2]);
        Capture capture = Capture.start(CaptureSettings.of(OutpostConfig.parse(yaml, Map.<String, String>of()::get)));
        while (capture.status().state() != Capture.State.RUNNING) {
            Thread.sleep(20);
        }
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
