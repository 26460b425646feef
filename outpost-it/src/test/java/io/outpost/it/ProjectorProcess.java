package io.outpost.it;

import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.ChildJvm;
import io.outpost.projector.Projector;
import io.outpost.projector.ProjectorSettings;
import io.outpost.runtime.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A region's projector in its own JVM, so a test can {@code kill -9} it; its log goes to target/projector-REGION.log. */
final class ProjectorProcess {

    private ProjectorProcess() {
    }

    static ChildJvm start(Path configFile, String region) throws IOException {
        return ChildJvm.start(ProjectorProcess.class, Path.of("target", "projector-" + region + ".log"),
                List.of("-Dlogback.configurationFile=logback-child.xml"), configFile.toString(), region);
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        OutpostConfig config = OutpostConfig.parse(Files.readString(Path.of(args[0])), name -> null);
        Projector projector = Projector.start(ProjectorSettings.of(config, args[1]));
        while (projector.status().state() != Supervisor.State.RUNNING) {
            Thread.sleep(20);
        }
        ChildJvm.ready("projector " + args[1]);
        Thread.sleep(Long.MAX_VALUE);
    }
}
