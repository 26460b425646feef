package io.outpost.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.change.RowChange;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.source.FenceWriter;
import io.outpost.source.IdempotencyLedger;
import io.outpost.source.SourceSetup;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Capture with the least a source grants it: a role made by {@link SourceSetup}'s statements —
 * REPLICATION, SELECT on the captured tables, its own schema {@code outpost} — captures the snapshot
 * and later changes while it cannot write the monolith's tables or read one it does not capture; and
 * the gateways' role ({@code source.gateway-user}) writes fences and the idempotency ledger and can
 * do nothing else.
 */
class LeastPrivilegeIT {

    @Test
    void captureAndTheGatewaysSourceWorkWithTheLeastPrivilegedRoleAndNothingMore() throws Exception {
        String admin = EmbeddedPostgres.shared().createDatabase("least_privilege_it");
        CaptureIT.execute(admin,
                "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL)",
                "CREATE TABLE secrets (id bigint PRIMARY KEY, value text)",
                "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')",
                "INSERT INTO orders VALUES (10, 1, 'PLACED'), (11, 2, 'PAID')");
        String role = "outpost_capture_" + ProcessHandle.current().pid();
        String gatewayRole = "outpost_gateway_" + ProcessHandle.current().pid();
        String url = admin.replace("?user=" + EmbeddedPostgres.SUPERUSER, "");
        assertThat(url).as("the URL names no user of its own").doesNotContain("user=");
        String yaml = """
                source: { name: least, url: "%s", user: %s, gateway-user: %s, tables: [customers, orders], heartbeat-interval: 200ms }
                log: { bootstrap-servers: "%s", topic-prefix: least_privilege_it }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(url, role, gatewayRole, EmbeddedKafka.shared().bootstrapServers());
        OutpostConfig config = OutpostConfig.parse(yaml, Map.<String, String>of()::get);
        CaptureIT.execute(admin, SourceSetup.statements(config.source()).toArray(String[]::new));
        CaptureIT.execute(admin, SourceSetup.statements(config.source()).toArray(String[]::new)); // again: no harm

        try (Capture capture = Capture.start(CaptureSettings.of(config))) {
            CaptureIT.execute(admin, "INSERT INTO orders VALUES (12, 1, 'PLACED')");
            List<io.outpost.core.change.ChangeRecord> records = CaptureIT.readUntil(config.changesTopic(),
                    read -> read.stream().anyMatch(r -> r instanceof RowChange row && row.table().equals("public.orders")
                            && Long.valueOf(12).equals(row.key().get("id"))));
            assertThat(records.stream().filter(RowChange.class::isInstance).map(r -> ((RowChange) r).table()).distinct())
                    .containsExactlyInAnyOrder("public.customers", "public.orders");
            assertThat(capture.status().problem()).isNull();
        }

        try (Connection c = DriverManager.getConnection(url, role, ""); Statement s = c.createStatement()) {
            for (String write : List.of("INSERT INTO orders VALUES (99, 1, 'PLACED')", "UPDATE customers SET name = 'x'",
                    "DELETE FROM orders", "SELECT * FROM secrets", "CREATE TABLE public.mine (id int)")) {
                assertThatThrownBy(() -> s.execute(write)).as(write).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("42501"));
            }
        }

        // the gateways' role: fences and the ledger, and nothing of the monolith's
        PGSimpleDataSource gateway = new PGSimpleDataSource();
        gateway.setURL(url);
        gateway.setUser(config.source().gatewayUser());
        assertThat(new FenceWriter(gateway, "least").write("least privilege").position()).isNotNull();
        IdempotencyLedger ledger = new IdempotencyLedger(gateway, "least", Duration.ofSeconds(20));
        String hash = IdempotencyLedger.requestHash("POST", "/orders", new byte[0]);
        assertThat(ledger.markSent((IdempotencyLedger.Claimed) ledger.claim("k", hash, "test"))).isTrue();
        ledger.complete("k", 201, "{}", new byte[0], null);
        assertThat(ledger.claim("k", hash, "test")).isInstanceOf(IdempotencyLedger.Done.class);
        try (Connection c = gateway.getConnection(); Statement s = c.createStatement()) {
            for (String denied : List.of("SELECT * FROM orders", "INSERT INTO orders VALUES (98, 1, 'PLACED')",
                    "CREATE TABLE outpost.mine (id int)", "DROP TABLE outpost.idempotency")) {
                assertThatThrownBy(() -> s.execute(denied)).as(denied).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("42501"));
            }
        }
    }
}
