package io.outpost.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.SourceConfig;
import io.outpost.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class SourceIT {

    private static String url;

    @BeforeAll
    static void createSource() throws SQLException {
        url = EmbeddedPostgres.shared().createDatabase("source_it");
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders, events, audit");
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
            s.execute("CREATE TABLE events (at timestamptz, what text)");
            s.execute("CREATE TABLE audit (at timestamptz, what text)");
            s.execute("ALTER TABLE audit REPLICA IDENTITY FULL");
            s.execute("DROP ROLE IF EXISTS reader");
            s.execute("CREATE ROLE reader LOGIN");
        }
    }

    private static SourceConfig source(String... tables) {
        String yaml = """
                source: { name: shop, url: "%s", user: postgres, tables: [%s] }
                log: { bootstrap-servers: "localhost:9092" }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(url, String.join(", ", tables));
        return OutpostConfig.parse(yaml, Map.<String, String>of()::get).source();
    }

    @Test
    void fencesReturnTokensAboveEveryEarlierCommit() throws SQLException {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        FenceWriter fences = new FenceWriter(ds, "shop");

        ConsistencyToken first = fences.write("test");
        SourcePosition afterCommit;
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("INSERT INTO orders VALUES (1, 'PLACED') ON CONFLICT (id) DO UPDATE SET status = 'PLACED'");
            var rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text");
            rs.next();
            afterCommit = SourcePosition.parse(rs.getString(1));
        }
        ConsistencyToken second = fences.write("test");

        assertThat(first.source()).isEqualTo("shop");
        assertThat(second.position()).isGreaterThan(first.position());
        assertThat(second.position()).isGreaterThanOrEqualTo(afterCommit);
        assertThat(ConsistencyToken.decode(second.encode())).isEqualTo(second);
    }

    @Test
    void aFenceOnAnUnreachableSourceIsRetriable() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://localhost:1/nowhere?connectTimeout=2");
        assertThatThrownBy(() -> new FenceWriter(ds, "shop").write("test"))
                .isInstanceOf(OutpostException.Retriable.class)
                .hasMessageContaining("cannot write a fence into source shop");
    }

    @Test
    void aWellPreparedSourceHasNoProblems() throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            assertThat(SourceChecks.problems(c, source("orders", "audit"))).isEmpty();
        }
    }

    @Test
    void namesEachMisconfigurationWithItsFix() throws SQLException {
        List<String> problems;
        try (Connection c = DriverManager.getConnection(url)) {
            problems = SourceChecks.problems(c, source("orders", "events", "missing"));
        }

        assertThat(problems).containsExactly(
                "the table public.events has no primary key, so its updates and deletes cannot be matched to rows; "
                        + "add a primary key, or run ALTER TABLE public.events REPLICA IDENTITY FULL",
                "source.tables names public.missing, which does not exist in the source database; create it, "
                        + "or remove it from source.tables");
    }

    @Test
    void saysWhenTheUserMayNotReplicateOrRead() throws SQLException {
        List<String> problems;
        try (Connection c = DriverManager.getConnection(url.replace("user=postgres", "user=reader"))) {
            problems = SourceChecks.problems(c, source("orders"));
        }

        assertThat(problems).containsExactly(
                "the user reader may not use logical replication; run ALTER ROLE reader WITH REPLICATION",
                "the user reader may not read public.orders; run GRANT SELECT ON public.orders TO reader",
                "the user reader does not own public.orders, so it cannot add it to the publication; create the "
                        + "publication as the owner (outpost init-source prints the SQL), or make reader the owner");
    }

    @Test
    void saysHowToEnableLogicalReplication() throws SQLException {
        try (var pg = EmbeddedPostgres.builder().setting("wal_level", "replica").start();
             Connection c = pg.connect("postgres")) {
            assertThat(SourceChecks.problems(c, source("orders")).getFirst()).isEqualTo(
                    "the source database runs with wal_level=replica; capture needs wal_level=logical. Set it in "
                            + "postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL");
        }
    }

    @Test
    void theIdempotencyLedgerGivesAKeyToOneAttemptAndItsAnswerToTheOthers() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        IdempotencyLedger ledger = new IdempotencyLedger(ds, "shop", java.time.Duration.ofMinutes(1));
        String hash = IdempotencyLedger.requestHash("POST", "/orders", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        IdempotencyLedger.Claimed first = (IdempotencyLedger.Claimed) ledger.claim("k1", hash, "a");
        assertThat(ledger.markSent(first)).isTrue();
        assertThat(ledger.claim("k1", hash, "b")).isEqualTo(new IdempotencyLedger.InFlight("k1", "a", true, false));
        assertThat(ledger.claim("k1", "other", "b")).isEqualTo(new IdempotencyLedger.Mismatch("k1"));
        ledger.complete("k1", 201, "{\"Content-Type\": [\"application/json\"]}", "{\"id\": 1}".getBytes(), "tok");
        assertThat(ledger.claim("k1", hash, "b")).isInstanceOfSatisfying(IdempotencyLedger.Done.class, done -> {
            assertThat(done.status()).isEqualTo(201);
            assertThat(new String(done.body())).isEqualTo("{\"id\": 1}");
            assertThat(done.token()).isEqualTo("tok");
        });

        IdempotencyLedger.Claimed released = (IdempotencyLedger.Claimed) ledger.claim("k2", hash, "a");
        ledger.release(released);
        assertThat(ledger.claim("k2", hash, "b")).as("released: the next attempt sends it").isInstanceOf(IdempotencyLedger.Claimed.class);
        IdempotencyLedger impatient = new IdempotencyLedger(ds, "shop", java.time.Duration.ZERO);
        assertThat(impatient.claim("k1", hash, "c")).as("answered: never taken over").isInstanceOf(IdempotencyLedger.Done.class);
    }

    @Test
    @DisplayName("the idempotency ledger never lets a command be sent twice: a claim marked sent is never taken over, however "
            + "old; an unsent one is taken over after its lease, and then its first claimer can no longer mark it sent")
    void theIdempotencyLedgerFencesClaims() throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        IdempotencyLedger ledger = new IdempotencyLedger(ds, "shop", java.time.Duration.ZERO); // every claim past its limit
        String hash = IdempotencyLedger.requestHash("POST", "/orders", new byte[0]);

        IdempotencyLedger.Claimed sent = (IdempotencyLedger.Claimed) ledger.claim("f1", hash, "us-east");
        assertThat(ledger.markSent(sent)).isTrue();
        Thread.sleep(IdempotencyLedger.UNSENT_LEASE.toMillis() + 200);
        assertThat(ledger.claim("f1", hash, "ap-south")).as("sent (it may have been applied): never taken over")
                .isEqualTo(new IdempotencyLedger.InFlight("f1", "us-east", true, true));
        ledger.complete("f1", 201, "{}", new byte[0], null); // its sender came back with the answer
        assertThat(ledger.claim("f1", hash, "ap-south")).isInstanceOf(IdempotencyLedger.Done.class);

        IdempotencyLedger.Claimed stalled = (IdempotencyLedger.Claimed) ledger.claim("f2", hash, "us-east");
        assertThat(ledger.claim("f2", hash, "ap-south")).as("unsent, within its lease")
                .isEqualTo(new IdempotencyLedger.InFlight("f2", "us-east", false, true));
        Thread.sleep(IdempotencyLedger.UNSENT_LEASE.toMillis() + 200);
        IdempotencyLedger.Claimed takenOver = (IdempotencyLedger.Claimed) ledger.claim("f2", hash, "ap-south");
        assertThat(takenOver.claimId()).isNotEqualTo(stalled.claimId());
        assertThat(ledger.markSent(stalled)).as("the stalled claimer resumes: fenced off").isFalse();
        ledger.release(stalled);
        assertThat(ledger.markSent(takenOver)).as("the release of a superseded claim released nothing").isTrue();
    }
}
