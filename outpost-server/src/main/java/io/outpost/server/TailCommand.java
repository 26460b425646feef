package io.outpost.server;

import io.outpost.core.OutpostException;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.OutpostConfig;
import io.outpost.log.ChangeLogReader;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Prints the source's change records as they arrive, one line each.",
            "Rows: position, sequence, operation (c u d r), table, key and the changed values;",
            "then transaction ends, schemas, fences and heartbeats. Ctrl-C stops it."})
final class TailCommand extends ConfigCommand {

    private static final int MAX_VALUE_WIDTH = 40;

    @Option(names = "--from-beginning", description = "Start at the log's first record instead of its end.")
    boolean fromBeginning;

    @Option(names = "--heartbeats", description = "Also print heartbeats and the monitors' canary fences (left out by "
            + "default: one a second each).")
    boolean heartbeats;

    @Option(names = "--limit", paramLabel = "N", description = "Stop after N records (default: run until Ctrl-C).")
    long limit = Long.MAX_VALUE;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", hidden = true,
            description = "Stop when nothing arrives for this long (for scripts and tests).")
    Duration idleTimeout;

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) {
        KafkaAccess kafka = parsed.log().access();
        String topic = parsed.changesTopic();
        long printed = 0;
        long idleSince = System.nanoTime();
        try (ChangeLogReader reader = ChangeLogReader.open(kafka, topic, fromBeginning)) {
            while (printed < limit) {
                // idle means nothing printed: heartbeats and canary fences arrive every second even when not shown
                if (idleTimeout != null && System.nanoTime() - idleSince > idleTimeout.toNanos()) {
                    break;
                }
                for (ChangeLogReader.Entry entry : reader.poll(Duration.ofMillis(500))) {
                    boolean periodic = entry.record() instanceof Heartbeat || entry.record() instanceof Fence f && f.canary();
                    if (periodic && !heartbeats) {
                        continue;
                    }
                    out.println(line(entry.record()));
                    idleSince = System.nanoTime();
                    if (++printed >= limit) {
                        break;
                    }
                }
                out.flush();
            }
        } catch (OutpostException | org.apache.kafka.common.KafkaException e) {
            err.println("outpost: cannot read the change log " + topic + " at " + kafka + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }

    /** One readable line for a record. */
    static String line(ChangeRecord record) {
        String head = String.format("%-12s %5d  ", record.position(), record.sequence());
        return head + switch (record) {
            case RowChange row -> row.operation().code() + " " + row.table() + " " + values(row.key()) + " "
                    + (row.after() != null ? values(row.after()) : "(deleted)");
            case TransactionEnd end -> "end of transaction " + end.transactionId() + ": " + end.eventCount()
                    + (end.eventCount() == 1 ? " row" : " rows") + ", committed " + end.commitTime();
            case TableSchema schema -> "schema " + schema.table() + " (" + schema.columns().stream()
                    .map(c -> c.name() + " " + c.type() + (c.nullable() ? "" : " not null"))
                    .collect(Collectors.joining(", ")) + ") key (" + String.join(", ", schema.primaryKey()) + ")";
            case Fence fence -> "fence \"" + fence.id() + "\" at " + fence.time();
            case Heartbeat heartbeat -> "heartbeat at " + heartbeat.time();
        };
    }

    private static String values(Map<String, Object> values) {
        return values.entrySet().stream().map(e -> e.getKey() + "=" + shorten(String.valueOf(e.getValue())))
                .collect(Collectors.joining(" ", "{", "}"));
    }

    private static String shorten(String value) {
        return value.length() <= MAX_VALUE_WIDTH ? value : value.substring(0, MAX_VALUE_WIDTH - 1) + "…";
    }
}
