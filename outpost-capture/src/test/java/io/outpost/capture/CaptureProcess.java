package io.outpost.capture;

import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.ChildJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A capture in its own JVM, so a test can {@code kill -9} it; its log goes to target/capture-NAME.log. */
final class CaptureProcess {

    private CaptureProcess() {
    }

    static ChildJvm start(String name, String url, String bootstrap) throws IOException {
        return ChildJvm.start(CaptureProcess.class, Path.of("target", "capture-" + name + ".log"),
                List.of("-Dlogback.configurationFile=logback-child.xml"), name, url, bootstrap);
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
        ChildJvm.ready("capture " + args[0]);
        Thread.sleep(Long.MAX_VALUE);
    }
}
