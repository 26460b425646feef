package io.outpost.log;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The change log's envelope: one JSON object per record, version 1.
 *
 * <pre>
 * every record   {"v":1, "type":…, "source":"shop", "position":"0/16B3A8", "seq":0, …}
 * row            "tx", "table", "op" (c|u|d|r), "key", "before", "after"
 * tx (its end)   "tx", "commit_time" (ISO-8601), "events"
 * schema         "table", "columns":[{"name","type","nullable"}], "primary_key":[…]
 * fence          "id", "time"
 * heartbeat      "time"
 * </pre>
 *
 * Numbers keep their exactness: integers read back as {@link Long}, every other number (numeric,
 * float, double) as {@link java.math.BigDecimal} with its scale. A record of another version is refused with a message that says so.
 */
public final class ChangeCodec {

    /** The envelope version this code writes and reads. */
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            // keep numeric scale: 12.50 stays 12.50, not 12.5
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    // the field names of every record and of row changes (most of the log), escaped and encoded once
    private static final SerializedString V = new SerializedString("v");
    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString SOURCE = new SerializedString("source");
    private static final SerializedString POSITION = new SerializedString("position");
    private static final SerializedString SEQ = new SerializedString("seq");
    private static final SerializedString TX = new SerializedString("tx");
    private static final SerializedString TABLE = new SerializedString("table");
    private static final SerializedString OP = new SerializedString("op");
    private static final SerializedString KEY = new SerializedString("key");
    private static final SerializedString BEFORE = new SerializedString("before");
    private static final SerializedString AFTER = new SerializedString("after");

    private ChangeCodec() {
    }

    /** Writes the envelope straight to bytes with a streaming generator: no tree per record. */
    public static byte[] encode(ChangeRecord record) {
        var bytes = new com.fasterxml.jackson.core.util.ByteArrayBuilder(256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(bytes)) {
            g.enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
            g.writeStartObject();
            g.writeFieldName(V);
            g.writeNumber(VERSION);
            g.writeFieldName(TYPE);
            g.writeString(switch (record) {
                case RowChange ignored -> "row";
                case TransactionEnd ignored -> "tx";
                case TableSchema ignored -> "schema";
                case Fence ignored -> "fence";
                case Heartbeat ignored -> "heartbeat";
            });
            g.writeFieldName(SOURCE);
            g.writeString(record.source());
            g.writeFieldName(POSITION);
            g.writeString(record.position().toString());
            g.writeFieldName(SEQ);
            g.writeNumber(record.sequence());
            switch (record) {
                case RowChange row -> {
                    g.writeFieldName(TX);
                    g.writeString(row.transactionId());
                    g.writeFieldName(TABLE);
                    g.writeString(row.table());
                    g.writeFieldName(OP);
                    g.writeString(row.operation().code());
                    g.writeFieldName(KEY);
                    writeValue(g, row.key());
                    g.writeFieldName(BEFORE);
                    writeValue(g, row.before());
                    g.writeFieldName(AFTER);
                    writeValue(g, row.after());
                }
                case TransactionEnd end -> {
                    g.writeStringField("tx", end.transactionId());
                    g.writeStringField("commit_time", end.commitTime().toString());
                    g.writeNumberField("events", end.eventCount());
                }
                case TableSchema schema -> {
                    g.writeStringField("table", schema.table());
                    g.writeArrayFieldStart("columns");
                    for (TableSchema.Column column : schema.columns()) {
                        g.writeStartObject();
                        g.writeStringField("name", column.name());
                        g.writeStringField("type", column.type());
                        g.writeBooleanField("nullable", column.nullable());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeArrayFieldStart("primary_key");
                    for (String key : schema.primaryKey()) {
                        g.writeString(key);
                    }
                    g.writeEndArray();
                }
                case Fence fence -> {
                    g.writeStringField("id", fence.id());
                    g.writeStringField("time", fence.time().toString());
                }
                case Heartbeat heartbeat -> g.writeStringField("time", heartbeat.time().toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The JSON-shaped values of {@link RowChange}: maps, lists, strings, numbers, booleans, null.
     * An if-chain rather than a pattern switch: this runs for every value of every row, and the
     * common types are tested first.
     */
    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else if (value instanceof String text) {
            g.writeString(text);
        } else if (value instanceof Long number) {
            g.writeNumber(number);
        } else if (value instanceof java.math.BigDecimal number) {
            g.writeNumber(number);
        } else if (value instanceof Boolean flag) {
            g.writeBoolean(flag);
        } else if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (var entry : map.entrySet()) {
                g.writeFieldName(String.valueOf(entry.getKey()));
                writeValue(g, entry.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> list) {
            g.writeStartArray();
            for (Object element : list) {
                writeValue(g, element);
            }
            g.writeEndArray();
        } else if (value instanceof Integer number) {
            g.writeNumber(number);
        } else {
            g.writeObject(value);
        }
    }

    /**
     * Reads one record.
     *
     * @throws IllegalArgumentException for bytes that are not a record of this envelope version
     */
    public static ChangeRecord decode(byte[] bytes) {
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("a change log record is not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("a change log record must be a JSON object");
        }
        int version = node.path("v").asInt(-1);
        if (version != VERSION) {
            throw new IllegalArgumentException("a change log record has envelope version " + node.path("v")
                    + ", but this Outpost reads version " + VERSION + "; upgrade the consumer before the producer");
        }
        String source = text(node, "source");
        SourcePosition position = SourcePosition.parse(text(node, "position"));
        long seq = node.path("seq").asLong();
        String type = text(node, "type");
        return switch (type) {
            case "row" -> new RowChange(source, position, seq, text(node, "tx"), text(node, "table"),
                    Operation.ofCode(text(node, "op")), map(node.get("key")), map(node.get("before")),
                    map(node.get("after")));
            case "tx" -> new TransactionEnd(source, position, seq, text(node, "tx"),
                    Instant.parse(text(node, "commit_time")), node.path("events").asInt());
            case "schema" -> {
                List<TableSchema.Column> columns = new ArrayList<>();
                for (JsonNode c : node.path("columns")) {
                    columns.add(new TableSchema.Column(text(c, "name"), text(c, "type"), c.path("nullable").asBoolean()));
                }
                List<String> key = new ArrayList<>();
                node.path("primary_key").forEach(k -> key.add(k.asText()));
                yield new TableSchema(source, position, seq, text(node, "table"), columns, key);
            }
            case "fence" -> new Fence(source, position, seq, text(node, "id"), Instant.parse(text(node, "time")));
            case "heartbeat" -> new Heartbeat(source, position, seq, Instant.parse(text(node, "time")));
            default -> throw new IllegalArgumentException("unknown change log record type \"" + type + "\"");
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isValueNode() || value.isNull()) {
            throw new IllegalArgumentException("a change log record lacks \"" + field + "\"");
        }
        return value.asText();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return (Map<String, Object>) plain(node);
    }

    /** JSON → plain Java values: Map, List, String, Boolean, Long, BigDecimal, null. */
    private static Object plain(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(e -> map.put(e.getKey(), plain(e.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(n -> list.add(plain(n)));
            return list;
        }
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : node.decimalValue();
        }
        if (node.isNumber()) {
            return node.decimalValue();
        }
        return node.asText();
    }
}
