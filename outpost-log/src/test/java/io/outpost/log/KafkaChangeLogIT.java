package io.outpost.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TransactionEnd;
import io.outpost.core.config.KafkaAccess;
import io.outpost.embedded.EmbeddedKafka;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

class KafkaChangeLogIT {

    private static List<ChangeRecord> transaction(long lsn, int rows) {
        SourcePosition at = SourcePosition.ofLsn(lsn);
        List<ChangeRecord> records = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            records.add(new RowChange("shop", at, i, "xid:" + at, "public.orders", Operation.CREATE,
                    Map.of("id", lsn * 100 + i), null, Map.of("id", lsn * 100 + i)));
        }
        records.add(new TransactionEnd("shop", at, rows, "xid:" + at, Instant.parse("2026-11-21T06:00:00Z"), rows));
        return records;
    }

    private static List<ChangeRecord> readAll(String topic, int expected) {
        return readAll(topic, expected, Duration.ofSeconds(30));
    }

    /** What the topic holds, reading until {@code expected} records came or {@code patience} passed. */
    private static List<ChangeRecord> readAll(String topic, int expected, Duration patience) {
        List<ChangeRecord> read = new ArrayList<>();
        try (ChangeLogReader reader = ChangeLogReader.open(KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()), topic, true)) {
            long deadline = System.nanoTime() + patience.toNanos();
            while (read.size() < expected && System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(200)).forEach(e -> read.add(e.record()));
            }
        }
        return read;
    }

    @Test
    void appendsInOrderAndReadsBackEveryRecordExactly() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        List<ChangeRecord> written = new ArrayList<>();
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.order_test.changes", Optional.empty())) {
            for (long tx = 1; tx <= 200; tx++) {
                List<ChangeRecord> records = transaction(tx, (int) (tx % 5) + 1);
                log.append(records);
                written.addAll(records);
            }
            log.append(List.of()).join();
        }

        assertThat(readAll("outpost.order_test.changes", written.size())).containsExactlyElementsOf(written);
    }

    @Test
    void flushReturnsOnceEverythingAppendedIsDurable() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.flush_test.changes", Optional.empty())) {
            var first = log.append(transaction(1, 3));
            var second = log.append(transaction(2, 2));
            log.flush();

            assertThat(first).isCompleted();
            assertThat(second).isCompleted();
        }
        List<ChangeRecord> written = new ArrayList<>(transaction(1, 3));
        written.addAll(transaction(2, 2));
        assertThat(readAll("outpost.flush_test.changes", written.size())).containsExactlyElementsOf(written);
    }

    @Test
    void sendNowReturnsAtOnceAndTheAppendsStillComplete() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        List<ChangeRecord> written = new ArrayList<>();
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.send_now_test.changes", Optional.empty())) {
            List<java.util.concurrent.CompletableFuture<Void>> appends = new ArrayList<>();
            for (long tx = 1; tx <= 50; tx++) {
                appends.add(log.append(transaction(tx, 2)));
                written.addAll(transaction(tx, 2));
                log.sendNow();
            }
            appends.forEach(java.util.concurrent.CompletableFuture::join);
        }
        assertThat(readAll("outpost.send_now_test.changes", written.size())).containsExactlyElementsOf(written);
    }

    private static RowChange rowWithText(long lsn, String text) {
        SourcePosition at = SourcePosition.ofLsn(lsn);
        return new RowChange("shop", at, 0, "xid:" + at, "public.documents", Operation.CREATE,
                Map.of("id", lsn), null, Map.of("id", lsn, "body", text));
    }

    @Test
    void takesARowWithAValueOfSeveralMegabytes() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        RowChange large = rowWithText(1, "x".repeat(5 << 20));
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.large_test.changes", Optional.empty())) {
            log.append(List.of(large)).join();
        }

        assertThat(readAll("outpost.large_test.changes", 1)).containsExactly(large);
    }

    @Test
    void sendsNothingMoreAfterARecordItRefusedSoTheLogHasNoGap() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        RowChange tooLarge = rowWithText(2, "x".repeat(KafkaChangeLog.MAX_RECORD_BYTES + 1));
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.refused_test.changes", Optional.empty())) {
            log.append(transaction(1, 1)).join();
            var refused = log.append(List.of(tooLarge, rowWithText(3, "after the refused one")));
            var later = log.append(transaction(4, 1));

            assertThatThrownBy(refused::join).hasCauseInstanceOf(OutpostException.Retriable.class)
                    .hasMessageContaining("did not take the record at 0/2/0");
            assertThatThrownBy(later::join).hasMessageContaining("did not take the record at 0/2/0");
            assertThatThrownBy(log::flush).isInstanceOf(OutpostException.Retriable.class)
                    .hasMessageContaining("did not take the record at 0/2/0");
        }
        // one more than was sent before the refusal, to see that nothing follows it
        assertThat(readAll("outpost.refused_test.changes", 3, Duration.ofSeconds(3)))
                .containsExactlyElementsOf(transaction(1, 1));
    }

    @Test
    void createsItsTopicWithOnePartitionAndTheRetention() throws Exception {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, "outpost.retention_test.changes",
                Optional.of(Duration.ofDays(7)))) {
            log.append(transaction(1, 1)).join();
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap.bootstrapServers()))) {
            var description = admin.describeTopics(List.of("outpost.retention_test.changes")).allTopicNames().get()
                    .get("outpost.retention_test.changes");
            assertThat(description.partitions()).hasSize(1);
            var resource = new ConfigResource(ConfigResource.Type.TOPIC, "outpost.retention_test.changes");
            var config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("retention.ms").value()).isEqualTo(Long.toString(Duration.ofDays(7).toMillis()));
            assertThat(config.get("message.timestamp.type").value()).as("where the projectors' freshness stage starts")
                    .isEqualTo("LogAppendTime");
        }
    }

    @Test
    void refusesATopicWithSeveralPartitionsBecauseItWouldLoseCommitOrder() throws Exception {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("outpost.split.changes", 3, (short) 1))).all().get();
        }

        assertThatThrownBy(() -> KafkaChangeLog.open(bootstrap, "outpost.split.changes", Optional.empty()))
                .isInstanceOf(OutpostException.class)
                .isNotInstanceOf(OutpostException.Retriable.class)
                .hasMessageContaining("has 3 partitions; it must have exactly 1 so that it keeps commit order");
    }

    @Test
    void knowsUpToWhereTheLogIsCompleteIgnoringATransactionCutShort() {
        KafkaAccess bootstrap = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());
        String topic = "outpost.complete_test.changes";
        assertThat(ChangeLogReader.completeUpTo(bootstrap, topic)).isEqualTo(SourcePosition.ZERO);
        try (KafkaChangeLog log = KafkaChangeLog.open(bootstrap, topic, Optional.empty())) {
            log.append(transaction(5, 2)).join();
            // a writer that died mid-transaction left rows at 9 without their end
            log.append(transaction(9, 3).subList(0, 2)).join();
        }

        assertThat(ChangeLogReader.completeUpTo(bootstrap, topic)).isEqualTo(SourcePosition.ofLsn(5));
    }

    @Test
    void saysWhichKafkaItCannotReach() {
        assertThatThrownBy(() -> KafkaChangeLog.ensureTopic(KafkaAccess.plaintext("localhost:1"), "outpost.nowhere.changes", Optional.empty()))
                .isInstanceOf(OutpostException.Retriable.class)
                .hasMessageContaining("cannot reach the change log's Kafka at localhost:1");
    }
}
