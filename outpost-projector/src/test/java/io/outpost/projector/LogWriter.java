package io.outpost.projector;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import io.outpost.core.config.KafkaAccess;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.log.KafkaChangeLog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Writes hand-made transactions to a change log, as capture would. */
final class LogWriter implements AutoCloseable {

    static final String SOURCE = "shop";

    /** One transaction under construction. */
    static final class Tx {
        final SourcePosition position;
        final List<ChangeRecord> records = new ArrayList<>();
        long rows;

        Tx(long lsn) {
            this.position = SourcePosition.ofLsn(lsn);
        }

        Tx schema(String table, List<String> key, String... columns) {
            List<TableSchema.Column> list = new ArrayList<>();
            for (int i = 0; i < columns.length; i += 2) {
                list.add(new TableSchema.Column(columns[i], columns[i + 1], !key.contains(columns[i])));
            }
            records.add(new TableSchema(SOURCE, position, rows, "public." + table, list, key));
            return this;
        }

        Tx insert(String table, Map<String, Object> key, Object... values) {
            return row(table, Operation.CREATE, key, null, map(values));
        }

        Tx update(String table, Map<String, Object> key, Object... values) {
            return row(table, Operation.UPDATE, key, null, map(values));
        }

        Tx delete(String table, Map<String, Object> key) {
            return row(table, Operation.DELETE, key, key, null);
        }

        private Tx row(String table, Operation op, Map<String, Object> key, Map<String, Object> before,
                       Map<String, Object> after) {
            records.add(new RowChange(SOURCE, position, rows++, "tx" + position, "public." + table, op, key, before, after));
            return this;
        }

        List<ChangeRecord> withEnd() {
            List<ChangeRecord> all = new ArrayList<>(records);
            all.add(new TransactionEnd(SOURCE, position, rows, "tx" + position, Instant.parse("2026-11-21T06:00:00Z"),
                    (int) rows));
            return all;
        }
    }

    static Map<String, Object> map(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private final KafkaChangeLog log;

    LogWriter(String topic) {
        this.log = KafkaChangeLog.open(KafkaAccess.plaintext(EmbeddedKafka.shared().bootstrapServers()), topic, Optional.empty());
    }

    void write(List<ChangeRecord> records) {
        log.append(records).join();
    }

    void commit(Tx tx) {
        write(tx.withEnd());
    }

    void heartbeat(long lsn) {
        write(List.of(new Heartbeat(SOURCE, SourcePosition.ofLsn(lsn), 0, Instant.parse("2026-11-21T06:00:01Z"))));
    }

    @Override
    public void close() {
        log.close();
    }
}
