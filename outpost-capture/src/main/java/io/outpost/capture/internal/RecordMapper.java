package io.outpost.capture.internal;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Maps Debezium's records (Kafka Connect {@link Struct}s, straight from the engine: no JSON on the
 * way) to Outpost's. Values take the JSON forms the README documents:
 * <ul>
 *   <li>integers → {@link Long}; numeric, real, double → {@link BigDecimal} (NaN and ±Infinity as text);</li>
 *   <li>date → {@code 2026-11-21}; time → {@code 06:00:00.123456}; timestamp → {@code 2026-11-21T06:00:00.123456};
 *       timestamptz → ISO-8601 in UTC; interval → ISO-8601 duration;</li>
 *   <li>bytea → base64 text; json/jsonb → its JSON text; uuid, enums, text → text; arrays → lists.</li>
 * </ul>
 * An unchanged TOASTed value (which PostgreSQL does not send) is left out of an update's
 * {@code after}: a column missing from an update's after image was not changed.
 */
public final class RecordMapper {

    /** What Debezium puts in place of an unchanged TOASTed value. */
    static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final String TYPE_PARAMETER = "__debezium.source.column.type";
    private static final String LENGTH_PARAMETER = "__debezium.source.column.length";
    private static final String SCALE_PARAMETER = "__debezium.source.column.scale";

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** Envelopes seen, by their Connect schema (Debezium keeps one per table until its columns change). */
    private static final int MAX_ENVELOPES = 1024;

    private final String source;
    private final Map<Schema, Envelope> envelopes = new IdentityHashMap<>();

    public RecordMapper(String source) {
        this.source = source;
    }

    /**
     * Where a table's row change records keep what capture reads, and the table's name: found once
     * per Connect schema rather than by name for every row (those lookups were a tenth of capture's
     * own CPU per row).
     *
     * @param table {@code schema.table}
     */
    public record Envelope(Field op, Field before, Field after, Field source, Field lsn, Field commitMillis,
                           Field snapshot, Field transaction, String table) {
    }

    /** The envelope of a row change record, or {@code null} when the record is not one. */
    public Envelope envelope(Struct value) {
        Schema schema = value.schema();
        Envelope envelope = envelopes.get(schema);
        if (envelope == null && !envelopes.containsKey(schema)) {
            Field source = schema.field("source");
            boolean isRow = schema.field("op") != null && schema.field("after") != null && source != null
                    && source.schema().type() == Schema.Type.STRUCT;
            if (isRow && value.get(source) == null) {
                return null; // the table's name comes from the source block: wait for a record that has one
            }
            envelope = isRow ? envelopeOf(value, source) : null;
            if (envelopes.size() >= MAX_ENVELOPES) {
                envelopes.clear();
            }
            envelopes.put(schema, envelope);
        }
        return envelope;
    }

    private static Envelope envelopeOf(Struct value, Field source) {
        Schema schema = value.schema();
        Schema src = source.schema();
        Struct sourceValue = (Struct) value.get(source);
        String table = sourceValue.getString("schema") + "." + sourceValue.getString("table");
        return new Envelope(schema.field("op"), schema.field("before"), schema.field("after"), source,
                src.field("lsn"), src.field("ts_ms"), src.field("snapshot"), schema.field("transaction"), table);
    }

    /** The row's change, at a provisional position (capture stamps the commit position later). */
    public RowChange row(SourceRecord record, Envelope envelope, SourcePosition position, long sequence,
                         String transactionId) {
        Struct value = (Struct) record.value();
        Operation op = Operation.ofCode((String) value.get(envelope.op()));
        Map<String, Object> before = image((Struct) value.get(envelope.before()), false);
        Map<String, Object> after = image((Struct) value.get(envelope.after()), op == Operation.UPDATE);
        Map<String, Object> key = record.key() instanceof Struct k ? image(k, false)
                : after != null ? after : before;
        return new RowChange(source, position, sequence, transactionId, envelope.table(), op, key, before, after);
    }

    /**
     * The table's shape as this record shows it: the columns of its row image (with the source's
     * type names, which {@code column.propagate.source.type} puts in the field parameters) and
     * the primary key of its key.
     */
    public TableSchema schema(SourceRecord record, Envelope envelope, SourcePosition position, long sequence) {
        Schema valueSchema = record.valueSchema();
        Field image = valueSchema.field("after") != null && ((Struct) record.value()).getStruct("after") != null
                ? valueSchema.field("after") : valueSchema.field("before");
        List<TableSchema.Column> columns = new ArrayList<>();
        for (Field field : image.schema().fields()) {
            columns.add(new TableSchema.Column(field.name(), typeName(field.schema()), field.schema().isOptional()));
        }
        List<String> key = new ArrayList<>();
        if (record.keySchema() != null) {
            record.keySchema().fields().forEach(f -> key.add(f.name()));
        }
        return new TableSchema(source, position, sequence, envelope.table(), columns, key);
    }

    /** The schema records of a schema announcement ({@code SourceSchemas}' JSON). */
    @SuppressWarnings("unchecked")
    public List<TableSchema> announcedSchemas(String json, SourcePosition position) {
        List<TableSchema> schemas = new ArrayList<>();
        try {
            for (Map<String, Object> table : (List<Map<String, Object>>) JSON.readValue(json, List.class)) {
                List<TableSchema.Column> columns = new ArrayList<>();
                for (Map<String, Object> column : (List<Map<String, Object>>) table.get("columns")) {
                    columns.add(new TableSchema.Column((String) column.get("name"), (String) column.get("type"),
                            (Boolean) column.get("nullable")));
                }
                schemas.add(new TableSchema(source, position, 0, (String) table.get("table"), columns,
                        (List<String>) table.get("primary_key")));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a schema announcement that is not JSON: " + e.getMessage(), e);
        }
        return schemas;
    }

    /** A signature of a table's shape: when it changes, a new schema record goes out. */
    public static String shapeOf(SourceRecord record) {
        Schema valueSchema = record.valueSchema();
        Field image = valueSchema.field("after") != null ? valueSchema.field("after") : valueSchema.field("before");
        var text = new StringBuilder();
        for (Field field : image.schema().fields()) {
            text.append(field.name()).append(':').append(typeName(field.schema()))
                    .append(field.schema().isOptional() ? '?' : '!').append(',');
        }
        return text.toString();
    }

    private Map<String, Object> image(Struct struct, boolean dropUnavailable) {
        if (struct == null) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field field : struct.schema().fields()) {
            Object raw = struct.get(field);
            if (dropUnavailable && isUnavailable(raw)) {
                continue;
            }
            values.put(field.name(), value(field.schema(), raw));
        }
        return values;
    }

    private static boolean isUnavailable(Object raw) {
        if (UNAVAILABLE.equals(raw)) {
            return true;
        }
        if (raw instanceof List<?> list && list.size() == 1 && UNAVAILABLE.equals(list.getFirst())) {
            return true;
        }
        byte[] bytes = raw instanceof ByteBuffer b ? bytes(b) : raw instanceof byte[] a ? a : null;
        return bytes != null && new String(bytes, java.nio.charset.StandardCharsets.UTF_8).equals(UNAVAILABLE);
    }

    static Object value(Schema schema, Object raw) {
        if (raw == null) {
            return null;
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case "org.apache.kafka.connect.data.Decimal" -> {
                    return raw;
                }
                case "io.debezium.data.VariableScaleDecimal" -> {
                    Struct s = (Struct) raw;
                    return new BigDecimal(new BigInteger(bytes(s.get("value"))), s.getInt32("scale"));
                }
                case "io.debezium.time.Date" -> {
                    return LocalDate.ofEpochDay(((Number) raw).longValue()).toString();
                }
                case "io.debezium.time.MicroTime" -> {
                    return LocalTime.ofNanoOfDay(((Number) raw).longValue() * 1000).toString();
                }
                case "io.debezium.time.Time" -> {
                    return LocalTime.ofNanoOfDay(((Number) raw).longValue() * 1_000_000).toString();
                }
                case "io.debezium.time.NanoTime" -> {
                    return LocalTime.ofNanoOfDay(((Number) raw).longValue()).toString();
                }
                case "io.debezium.time.MicroTimestamp" -> {
                    long micros = ((Number) raw).longValue();
                    return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000),
                            Math.floorMod(micros, 1_000_000) * 1000, ZoneOffset.UTC).toString();
                }
                case "io.debezium.time.Timestamp" -> {
                    long millis = ((Number) raw).longValue();
                    return LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000),
                            Math.floorMod(millis, 1000) * 1_000_000, ZoneOffset.UTC).toString();
                }
                default -> {
                    // ZonedTimestamp, ZonedTime, Interval (string mode), Json, Uuid, Enum, Xml...: text as sent
                }
            }
        }
        return switch (schema.type()) {
            case INT64 -> raw; // a Long already
            case INT8, INT16, INT32 -> ((Number) raw).longValue();
            case FLOAT32, FLOAT64 -> {
                double d = ((Number) raw).doubleValue();
                yield Double.isFinite(d) ? new BigDecimal(schema.type() == Schema.Type.FLOAT32
                        ? Float.toString(((Number) raw).floatValue()) : Double.toString(d)) : Double.toString(d);
            }
            case BOOLEAN, STRING -> raw;
            case BYTES -> Base64.getEncoder().encodeToString(raw instanceof ByteBuffer b ? bytes(b) : (byte[]) raw);
            case ARRAY -> {
                List<Object> out = new ArrayList<>();
                for (Object element : (List<?>) raw) {
                    out.add(value(schema.valueSchema(), element));
                }
                yield out;
            }
            case MAP -> {
                Map<String, Object> out = new LinkedHashMap<>();
                ((Map<?, ?>) raw).forEach((k, v) -> out.put(String.valueOf(k), value(schema.valueSchema(), v)));
                yield out;
            }
            case STRUCT -> {
                Map<String, Object> out = new LinkedHashMap<>();
                Struct s = (Struct) raw;
                for (Field f : s.schema().fields()) {
                    out.put(f.name(), value(f.schema(), s.get(f)));
                }
                yield out;
            }
        };
    }

    private static byte[] bytes(Object raw) {
        if (raw instanceof byte[] a) {
            return a;
        }
        ByteBuffer b = ((ByteBuffer) raw).duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The source's type name: {@code int8}, {@code numeric(12,2)}, {@code varchar(64)}, {@code text[]}. */
    static String typeName(Schema schema) {
        Map<String, String> parameters = schema.parameters();
        String type = parameters == null ? null : parameters.get(TYPE_PARAMETER);
        if (type == null) {
            return switch (schema.type()) {
                case INT8, INT16 -> "int2";
                case INT32 -> "int4";
                case INT64 -> "int8";
                case FLOAT32 -> "float4";
                case FLOAT64 -> "float8";
                case BOOLEAN -> "bool";
                case BYTES -> "bytea";
                case ARRAY -> typeName(schema.valueSchema()) + "[]";
                default -> "text";
            };
        }
        String base = type.toLowerCase(Locale.ROOT);
        boolean array = base.startsWith("_");
        if (array) {
            base = base.substring(1);
        }
        String length = parameters.get(LENGTH_PARAMETER);
        String scale = parameters.get(SCALE_PARAMETER);
        boolean sized = switch (base) {
            case "numeric", "decimal" -> length != null && !length.equals("0") && Long.parseLong(length) < 1000;
            case "varchar", "bpchar", "bit", "varbit" -> length != null && !length.equals("0")
                    && Long.parseLong(length) < Integer.MAX_VALUE;
            default -> false;
        };
        if (sized) {
            base += "(" + length + (base.equals("numeric") || base.equals("decimal") ? "," + (scale == null ? "0" : scale) : "") + ")";
        }
        return array ? base + "[]" : base;
    }
}
