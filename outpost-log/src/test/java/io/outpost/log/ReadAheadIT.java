package io.outpost.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.config.KafkaAccess;
import io.outpost.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class ReadAheadIT {

    private static final KafkaAccess BOOTSTRAP = KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers());

    private static List<ChangeRecord> heartbeats(int from, int count) {
        List<ChangeRecord> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(new Heartbeat("shop", SourcePosition.ofLsn(i), 0, Instant.parse("2026-11-21T06:00:00Z").plusSeconds(i)));
        }
        return records;
    }

    private static List<ChangeLogReader.Entry> read(ReadAhead reader, int expected) throws InterruptedException {
        List<ChangeLogReader.Entry> read = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (read.size() < expected && System.nanoTime() < deadline) {
            read.addAll(reader.poll(Duration.ofMillis(200)));
        }
        return read;
    }

    @Test
    void readsFromTheOffsetOnInLogOrderWhileTheCallerIsBusy() throws Exception {
        String topic = "outpost.read_ahead_order.changes";
        List<ChangeRecord> written = heartbeats(1, 12_000);
        try (KafkaChangeLog log = KafkaChangeLog.open(BOOTSTRAP, topic, Optional.empty())) {
            log.append(written).join();
        }
        try (ReadAhead reader = ReadAhead.openAt(BOOTSTRAP, topic, 1000, "read-ahead-test")) {
            // a caller that is slow to come back finds polls read for it, but no more than DEPTH of them
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!reader.hasBacklog() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(reader.hasBacklog()).isTrue();
            List<ChangeLogReader.Entry> read = read(reader, 11_000);
            assertThat(read).extracting(ChangeLogReader.Entry::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(1000, 12_000).boxed().toList());
            assertThat(read).extracting(ChangeLogReader.Entry::record).containsExactlyElementsOf(written.subList(1000, 12_000));
            assertThat(reader.poll(Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void aRecordThatDoesNotDecodeFailsAPollAndStopsTheReader() throws Exception {
        String topic = "outpost.read_ahead_failure.changes";
        try (KafkaChangeLog log = KafkaChangeLog.open(BOOTSTRAP, topic, Optional.empty())) {
            log.append(heartbeats(1, 3)).join();
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(BOOTSTRAP.clientConfig(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "x", "{not a change record".getBytes(StandardCharsets.UTF_8))).get();
        }
        try (ReadAhead reader = ReadAhead.openAt(BOOTSTRAP, topic, 0, "read-ahead-test")) {
            List<ChangeLogReader.Entry> read = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            RuntimeException failure = null;
            while (failure == null && System.nanoTime() < deadline) {
                try {
                    read.addAll(reader.poll(Duration.ofMillis(200)));
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            assertThat(failure).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
            assertThat(read).extracting(ChangeLogReader.Entry::offset).isSubsetOf(0L, 1L, 2L);
            assertThatThrownBy(() -> reader.poll(Duration.ZERO)).hasMessageContaining("stopped after a failure");
        }
    }

    @Test
    void closesPromptlyWhileWaitingForTheCaller() throws Exception {
        String topic = "outpost.read_ahead_close.changes";
        try (KafkaChangeLog log = KafkaChangeLog.open(BOOTSTRAP, topic, Optional.empty())) {
            log.append(heartbeats(1, 20_000)).join();
        }
        ReadAhead reader = ReadAhead.openAt(BOOTSTRAP, topic, 0, "read-ahead-test");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!reader.hasBacklog() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread closer = Thread.ofPlatform().start(reader::close);
        closer.join(Duration.ofSeconds(10));
        assertThat(closer.isAlive()).as("close returned").isFalse();
    }
}
