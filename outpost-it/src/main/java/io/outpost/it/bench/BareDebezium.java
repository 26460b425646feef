package io.outpost.it.bench;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.outpost.capture.Capture;
import io.outpost.capture.CaptureSettings;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The capture benchmark's baseline: Debezium's embedded engine with the same connector settings as
 * Outpost's capture, offsets in memory, and a consumer that only hands each row's id on — no
 * mapping, no Kafka.
 */
final class BareDebezium {

    private BareDebezium() {
    }

    /** The same connector settings as Outpost's, with offsets in memory. */
    static Properties properties(CaptureSettings settings, String snapshotMode) {
        Properties p = Capture.engineProperties(settings);
        p.setProperty("name", "bare-" + settings.source().name());
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("snapshot.mode", snapshotMode);
        return p;
    }

    /**
     * Starts an engine on a daemon thread: {@code onRow} gets the id of every row of table
     * {@code bench}; {@code streaming} turns true at the first logical message or heartbeat.
     */
    static DebeziumEngine<RecordChangeEvent<SourceRecord>> start(Properties properties, LongConsumer onRow,
                                                                 AtomicBoolean streaming) {
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .notifying((List<RecordChangeEvent<SourceRecord>> batch, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) -> {
                    for (RecordChangeEvent<SourceRecord> event : batch) {
                        SourceRecord record = event.record();
                        if (record.value() instanceof Struct value && value.schema().field("after") != null
                                && value.getStruct("after") != null && record.topic().endsWith(".bench")) {
                            onRow.accept(value.getStruct("after").getInt64("id"));
                        } else if (record.topic().endsWith(".message") || record.topic().startsWith("__debezium-heartbeat")) {
                            streaming.set(true);
                        }
                        committer.markProcessed(event);
                    }
                    committer.markBatchFinished();
                })
                .build();
        Thread runner = new Thread(engine, "bare-engine-" + properties.getProperty("name"));
        runner.setDaemon(true);
        runner.start();
        return engine;
    }
}
