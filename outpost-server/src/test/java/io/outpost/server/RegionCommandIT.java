package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.control.RegionStateTopic;
import io.outpost.core.config.KafkaAccess;
import io.outpost.embedded.EmbeddedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code outpost region drain|undrain} against the in-process broker. */
class RegionCommandIT {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run outpost(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void anOperatorDrainsAndUndrainsARegionOnTheRegionStateTopic() throws Exception {
        Path config = dir.resolve("outpost.yml");
        Files.writeString(config, """
                source: { name: drill, url: "jdbc:postgresql://localhost:1/drill", user: u, tables: [orders] }
                log: { bootstrap-servers: "%s", replication-factor: 1 }
                monolith: { url: "http://localhost:1" }
                regions:
                  drill-home: { monolith-route: true, store: { url: "jdbc:postgresql://localhost:1/s", user: u }, gateway: { url: "http://localhost:7101" } }
                  drill-away: { store: { url: "jdbc:postgresql://localhost:1/s", user: u }, gateway: { url: "http://localhost:7102" } }
                auth: { mode: none }
                """.formatted(EmbeddedKafka.shared().bootstrapServers()));
        KafkaAccess kafka = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());

        Run drained = outpost("region", "drain", "drill-away", "--config", config.toString(), "--reason", "network maintenance");
        assertThat(drained.code()).as(drained.err()).isZero();
        assertThat(drained.out()).contains("region drill-away drained: no commands go through it")
                .contains("outpost region undrain drill-away");
        RegionStateTopic.Snapshot snapshot = RegionStateTopic.snapshot(kafka, List.of("drill-home", "drill-away"),
                Duration.ofSeconds(5), Duration.ofSeconds(10), Clock.systemUTC());
        assertThat(snapshot.drains().get("drill-away").drained()).isTrue();
        assertThat(snapshot.drains().get("drill-away").reason()).isEqualTo("network maintenance");

        Run unknown = outpost("region", "drain", "nowhere", "--config", config.toString());
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("there is no region nowhere in the configuration")
                .contains("[drill-home, drill-away]");

        Run undrained = outpost("region", "undrain", "drill-away", "--config", config.toString());
        assertThat(undrained.code()).as(undrained.err()).isZero();
        assertThat(undrained.out()).contains("region drill-away undrained");
        assertThat(RegionStateTopic.snapshot(kafka, List.of("drill-home", "drill-away"), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Clock.systemUTC()).drains().get("drill-away").drained()).isFalse();
    }
}
