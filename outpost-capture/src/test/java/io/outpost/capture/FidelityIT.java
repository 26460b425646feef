package io.outpost.capture;

import static io.outpost.capture.CaptureIT.count;
import static io.outpost.capture.CaptureIT.execute;
import static io.outpost.capture.CaptureIT.readUntil;
import static io.outpost.capture.CaptureIT.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.change.ChangeRecord;
import io.outpost.core.change.Heartbeat;
import io.outpost.core.change.Operation;
import io.outpost.core.change.RowChange;
import io.outpost.core.change.TableSchema;
import io.outpost.embedded.EmbeddedPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FidelityIT {

    private static RowChange lastRow(List<ChangeRecord> log) {
        return log.stream().filter(RowChange.class::isInstance).map(RowChange.class::cast).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void everyColumnTypeArrivesInItsDocumentedJsonForm() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("fidelity_types");
        execute(url, "DROP TABLE IF EXISTS types", "DROP TYPE IF EXISTS mood",
                "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                """
                CREATE TABLE types (id int8 PRIMARY KEY, i2 int2, i4 int4, i8 int8, n numeric(12,2), nfree numeric,
                    r real, d double precision, dnan double precision, t text, vc varchar(10), ch char(3), b boolean,
                    dt date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb, by bytea,
                    ai int4[], at text[], m mood)""");
        CaptureSettings settings = settings("types", url, "types");
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            execute(url, """
                    INSERT INTO types VALUES (1, 7, 70000, 9000000000, 12.50, 3.14159265358979323846, 1.5, 2.25, 'NaN',
                        'héllo', 'abc', 'ab', true, '2026-11-21', '13:45:30.123456', '2026-11-21 13:45:30.123456',
                        '2026-11-21 13:45:30.123456+01', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                        '{"a": 1}', '{"b": [1, 2]}', '\\x00ff10', '{1,2,3}', '{"x","y"}', 'happy')""");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> count(r, RowChange.class) >= 1);
            Map<String, Object> row = lastRow(log).after();

            assertThat(row).containsEntry("i2", 7L).containsEntry("i4", 70000L).containsEntry("i8", 9_000_000_000L);
            assertThat(row).containsEntry("n", new BigDecimal("12.50"))
                    .containsEntry("nfree", new BigDecimal("3.14159265358979323846"))
                    .containsEntry("r", new BigDecimal("1.5")).containsEntry("d", new BigDecimal("2.25"))
                    .containsEntry("dnan", "NaN");
            assertThat(row).containsEntry("t", "héllo").containsEntry("vc", "abc").containsEntry("ch", "ab ")
                    .containsEntry("b", true);
            assertThat(row).containsEntry("dt", "2026-11-21").containsEntry("tm", "13:45:30.123456")
                    .containsEntry("ts", "2026-11-21T13:45:30.123456")
                    .containsEntry("tstz", "2026-11-21T12:45:30.123456Z");
            assertThat((String) row.get("iv")).isEqualTo("P0Y0M1DT2H0M0S");
            assertThat(row).containsEntry("u", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
                    .containsEntry("j", "{\"a\": 1}").containsEntry("jb", "{\"b\": [1, 2]}")
                    .containsEntry("by", "AP8Q").containsEntry("m", "happy");
            assertThat(row).containsEntry("ai", List.of(1L, 2L, 3L)).containsEntry("at", List.of("x", "y"));
            TableSchema schema = log.stream().filter(TableSchema.class::isInstance).map(TableSchema.class::cast)
                    .findFirst().orElseThrow();
            assertThat(schema.columns()).extracting(TableSchema.Column::type).containsExactly("int8", "int2", "int4",
                    "int8", "numeric(12,2)", "numeric", "float4", "float8", "float8", "text", "varchar(10)", "bpchar(3)",
                    "bool", "date", "time", "timestamp", "timestamptz", "interval", "uuid", "json", "jsonb", "bytea",
                    "int4[]", "text[]", "mood");
            assertThat(capture.status().rows()).isEqualTo(1);
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("unchanged TOAST: an update of another column never publishes a placeholder as the large value")
    void anUnchangedLargeValueIsLeftOutOfTheUpdateNotReplaced() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("fidelity_toast");
        execute(url, "DROP TABLE IF EXISTS docs", "CREATE TABLE docs (id int8 PRIMARY KEY, title text, body text)");
        String large;
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g")) {
            rs.next();
            large = rs.getString(1); // 12,800 incompressible characters: stored out of line (TOAST)
        }
        CaptureSettings settings = settings("toast", url, "docs");
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            execute(url, "INSERT INTO docs VALUES (1, 'first', '" + large + "')");
            execute(url, "UPDATE docs SET title = 'second' WHERE id = 1");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> count(r, RowChange.class) >= 2);
            List<RowChange> rows = log.stream().filter(RowChange.class::isInstance).map(RowChange.class::cast).toList();
            assertThat(rows.get(0).after()).containsEntry("body", large);
            RowChange update = rows.get(1);
            assertThat(update.operation()).isEqualTo(Operation.UPDATE);
            assertThat(update.after()).containsEntry("title", "second").doesNotContainKey("body");
            assertThat(capture.status().rows()).isEqualTo(2);
        }
    }

    @Test
    void aColumnAddedMidStreamIsAnnouncedByANewSchemaBeforeItsFirstRow() throws Exception {
        String url = EmbeddedPostgres.shared().createDatabase("fidelity_ddl");
        execute(url, "DROP TABLE IF EXISTS people", "CREATE TABLE people (id int8 PRIMARY KEY, name text)");
        CaptureSettings settings = settings("ddl", url, "people");
        try (Capture capture = Capture.start(settings)) {
            readUntil(settings.changesTopic(), r -> count(r, Heartbeat.class) >= 1);
            execute(url, "INSERT INTO people VALUES (1, 'Ada')");
            execute(url, "ALTER TABLE people ADD COLUMN email text");
            execute(url, "INSERT INTO people VALUES (2, 'Grace', 'grace@example.com')");
            execute(url, "ALTER TABLE people DROP COLUMN name", "ALTER TABLE people ALTER COLUMN id TYPE numeric(20,0)");
            execute(url, "INSERT INTO people VALUES (3, 'alan@example.com')");

            List<ChangeRecord> log = readUntil(settings.changesTopic(), r -> count(r, RowChange.class) >= 3);
            List<ChangeRecord> relevant = log.stream().filter(r -> r instanceof RowChange || r instanceof TableSchema).toList();
            assertThat(relevant).hasSize(6);
            TableSchema afterDrop = (TableSchema) relevant.get(4);
            assertThat(afterDrop.columns()).extracting(TableSchema.Column::name).containsExactly("id", "email");
            assertThat(afterDrop.columns().getFirst().type()).isEqualTo("numeric(20,0)");
            // Debezium keeps delivering the column as a 64-bit integer after the type change; the value is exact
            assertThat(new java.math.BigDecimal(String.valueOf(((RowChange) relevant.get(5)).after().get("id"))))
                    .isEqualByComparingTo("3");
            assertThat(((TableSchema) relevant.get(0)).columns()).extracting(TableSchema.Column::name).containsExactly("id", "name");
            assertThat(((TableSchema) relevant.get(2)).columns()).extracting(TableSchema.Column::name)
                    .containsExactly("id", "name", "email");
            assertThat(relevant.get(2).position()).isEqualTo(relevant.get(3).position());
            assertThat(((RowChange) relevant.get(3)).after()).containsEntry("email", "grace@example.com");
            assertThat(capture.status().transactions()).isGreaterThanOrEqualTo(2);
        }
    }
}
