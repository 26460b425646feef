package io.outpost.capture;

import static io.outpost.capture.CaptureIT.database;
import static io.outpost.capture.CaptureIT.execute;
import static io.outpost.capture.CaptureIT.readUntil;
import static io.outpost.capture.CaptureIT.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TransactionEnd;
import io.outpost.embedded.ChildJvm;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.runtime.Supervisor;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OutageIT {

    private static long distinctOrders(List<ChangeRecord> log) {
        return log.stream().filter(r -> r instanceof RowChange row && row.table().equals("public.orders"))
                .map(r -> ((RowChange) r).key()).distinct().count();
    }

    @Test
    @DisplayName("the source drops capture's connections mid-load: capture retries, and nothing is lost or reordered")
    void reconnectsAfterTheSourceDropsItsConnections() throws Exception {
        String url = database("outage_source");
        CaptureSettings settings = settings("outage", url);
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> r.stream().anyMatch(Heartbeat.class::isInstance));
            try (Connection c = DriverManager.getConnection(url);
                 PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?, 1, 'PLACED', 1)")) {
                for (int i = 1; i <= 600; i++) {
                    insert.setLong(1, i);
                    insert.executeUpdate();
                    if (i == 300) {
                        try (Statement s = c.createStatement()) {
                            // what a failover or a DBA's pg_terminate_backend does to capture
                            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    + "WHERE datname = current_database() AND pid <> pg_backend_pid()");
                        }
                    }
                }
            }
            await().alias("capture restarted its engine").atMost(Duration.ofSeconds(60))
                    .until(() -> capture.status().attempts() >= 2 && capture.status().state() == Supervisor.State.RUNNING);

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> distinctOrders(r) >= 600);
            List<SourcePosition> ends = log.stream().filter(TransactionEnd.class::isInstance)
                    .map(ChangeRecord::position).toList();
            assertThat(ends).as("transaction ends in strictly increasing commit order").isSorted().doesNotHaveDuplicates();
            assertThat(distinctOrders(log)).isEqualTo(600);
        }
    }

    @Test
    @DisplayName("an unreachable broker: capture keeps retrying with backoff instead of dying")
    void retriesWhileTheBrokerIsUnreachable() throws Exception {
        String url = database("outage_broker");
        CaptureSettings reachable = settings("broker_down", url);
        CaptureSettings settings = new CaptureSettings(reachable.source(), reachable.kafka().at("localhost:1"), reachable.changesTopic(),
                reachable.retention(), reachable.offsetsTopic(), reachable.pollInterval(), reachable.memoryLimit(),
                reachable.spillDirectory());
        try (Capture capture = Capture.start(settings)) {
            await().alias("capture reports the outage and retries").atMost(Duration.ofSeconds(60))
                    .until(() -> capture.status().state() == Supervisor.State.RETRYING);
            assertThat(capture.status().problem()).contains("localhost:1");
            // (regression) a supervisor that died after its first retry would stay RETRYING; it keeps trying, 1 s then 2 s apart
            await().alias("capture retried twice").atMost(Duration.ofSeconds(60))
                    .until(() -> capture.status().retries() >= 2);
            assertThat(capture.status().state()).isEqualTo(Supervisor.State.RETRYING);
            assertThat(capture.status().transactions()).isZero();
        }
    }

    @Test
    @DisplayName("a waiting capture takes over when the active one is killed with kill -9")
    @SuppressWarnings("try") // the running process is the resource: it lives for the block
    void aStandbyTakesOverFromAKilledCapture() throws Exception {
        String url = database("outage_standby");
        CaptureSettings settings = settings("killed_active", url);
        try (ChildJvm active = CaptureProcess.start("killed_active", url, EmbeddedKafka.shared().bootstrapServers());
             Capture standby = Capture.start(settings)) {
            await().alias("the standby waits for the lock").atMost(Duration.ofSeconds(30))
                    .until(() -> standby.status().state() == Supervisor.State.WAITING_FOR_LOCK);
            execute(url, "INSERT INTO orders VALUES (1, 1, 'PLACED', 1)");
            readUntil(settings.changesTopic(), r -> distinctOrders(r) >= 1);

            active.killHard();
            await().alias("the standby took over").atMost(Duration.ofSeconds(60))
                    .until(() -> standby.status().state() == Supervisor.State.RUNNING);
            execute(url, "INSERT INTO orders VALUES (2, 1, 'PLACED', 1)");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> distinctOrders(r) >= 2);
            assertThat(distinctOrders(log)).isEqualTo(2);
        }
    }
}
