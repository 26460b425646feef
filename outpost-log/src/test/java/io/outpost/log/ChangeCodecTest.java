package io.outpost.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.SourcePosition;
import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Fence;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.core.change.TransactionEnd;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeCodecTest {

    private static final SourcePosition AT = SourcePosition.parse("1/A0");
    private static final Instant TIME = Instant.parse("2026-11-21T06:00:00.123456Z");

    @Test
    void roundTripsEveryKindOfRecordExactly() {
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("id", 42L);
        after.put("price", new BigDecimal("12.50"));
        after.put("big", new BigDecimal("123456789012345678901234567890.000001"));
        after.put("name", "Zoë \"quoted\" \u2603");
        after.put("paid", true);
        after.put("note", null);
        after.put("tags", List.of("a", "b"));
        after.put("attrs", Map.of("k", 1L));
        after.put("ratio", new BigDecimal("0.250"));
        List<ChangeRecord> records = List.of(
                new TableSchema("shop", AT, 0, "public.orders", List.of(new TableSchema.Column("id", "int8", false),
                        new TableSchema.Column("price", "numeric(12,2)", true)), List.of("id")),
                new RowChange("shop", AT, 1, "xid:1/A0", "public.orders", Operation.CREATE, Map.of("id", 42L), null, after),
                new RowChange("shop", AT, 2, "xid:1/A0", "public.orders", Operation.DELETE, Map.of("id", 42L), after, null),
                new TransactionEnd("shop", AT, 3, "xid:1/A0", TIME, 2),
                new Fence("shop", SourcePosition.parse("1/B0"), 0, "gateway eu-west", TIME),
                new Heartbeat("shop", SourcePosition.parse("1/C0"), 0, TIME));

        for (ChangeRecord record : records) {
            assertThat(ChangeCodec.decode(ChangeCodec.encode(record))).isEqualTo(record);
        }
    }

    @Test
    void writesTheDocumentedEnvelope() {
        var row = new RowChange("shop", AT, 1, "xid:1/A0", "public.orders", Operation.UPDATE, Map.of("id", 7L),
                Map.of("id", 7L), Map.of("id", 7L));

        String json = new String(ChangeCodec.encode(row), StandardCharsets.UTF_8);

        assertThat(json).startsWith("{\"v\":1,\"type\":\"row\",\"source\":\"shop\",\"position\":\"1/A0\",\"seq\":1,"
                + "\"tx\":\"xid:1/A0\",\"table\":\"public.orders\",\"op\":\"u\",\"key\":{\"id\":7}");
    }

    @Test
    void refusesAnotherEnvelopeVersionSayingWhatToDo() {
        byte[] future = "{\"v\":2,\"type\":\"row\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> ChangeCodec.decode(future))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("envelope version 2, but this Outpost reads version 1");
    }

    @Test
    void refusesGarbage() {
        for (String bad : Arrays.asList("not json", "[1]", "{\"v\":1,\"type\":\"nope\",\"source\":\"s\",\"position\":\"0/1\"}")) {
            assertThatThrownBy(() -> ChangeCodec.decode(bad.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
