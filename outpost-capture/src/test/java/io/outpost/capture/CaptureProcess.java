package io.outpost.capture;

import io.outpost.embedded.ChildJvm;
import io.outpost.runtime.Supervisor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A capture in its own JVM, so a test can {@code kill -9} it; its log goes to target/capture-NAME.log. */
final class CaptureProcess {

    private CaptureProcess() {
    }

    static ChildJvm start(String name, String url, String bootstrap) throws IOException {
        return ChildJvm.start(CaptureProcess.class, Path.of("target", "capture-" + name + ".log"),
                List.of("-Dlogback.configurationFile=logback-child.xml"), name, url, bootstrap);
    }

    public static void main(String[] args) throws InterruptedException {
        Capture capture = Capture.start(CaptureSettings.of(
                CaptureIT.config(args[0], args[1], "customers, orders, order_lines", args[2])));
        while (capture.status().state() != Supervisor.State.RUNNING) {
            Thread.sleep(20);
        }
        ChildJvm.ready("capture " + args[0]);
        Thread.sleep(Long.MAX_VALUE);
    }
}
