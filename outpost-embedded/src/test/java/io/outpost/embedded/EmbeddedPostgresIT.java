package io.outpost.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.outpost.embedded.internal.Launch;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresIT {

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void runsConfiguredForLogicalReplication() throws SQLException {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();

        try (Connection c = pg.connect("postgres")) {
            assertThat(scalar(c, "SHOW wal_level")).isEqualTo("logical");
            assertThat(scalar(c, "SHOW synchronous_commit")).isEqualTo("on");
            assertThat(Integer.parseInt(scalar(c, "SHOW max_replication_slots"))).isGreaterThanOrEqualTo(10);
            assertThat(Integer.parseInt(scalar(c, "SHOW max_wal_senders"))).isGreaterThanOrEqualTo(10);
            assertThat(scalar(c, "SELECT current_setting('server_version_num')")).startsWith("17");
        }
    }

    @Test
    void aServerRestartedAsAfterACrashKeepsWhatWasCommittedOnItsPort() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.start()) {
            String url = pg.createDatabase("restarts");
            try (Connection c = java.sql.DriverManager.getConnection(url); var s = c.createStatement()) {
                s.execute("CREATE TABLE t (v text)");
                s.execute("INSERT INTO t VALUES ('before')");
            }
            int port = pg.port();
            pg.restart(java.time.Duration.ofMillis(500), true);
            assertThat(pg.port()).isEqualTo(port);
            try (Connection c = java.sql.DriverManager.getConnection(url); var s = c.createStatement()) {
                s.execute("INSERT INTO t VALUES ('after')");
                assertThat(scalar(c, "SELECT string_agg(v, ',' ORDER BY v DESC) FROM t")).isEqualTo("before,after");
            }
        }
    }

    @Test
    void pgoutputSlotDecodesCommittedChanges() throws SQLException {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        String url = pg.createDatabase("slot_test");

        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
            s.execute("CREATE PUBLICATION items_pub FOR TABLE items");
            s.execute("SELECT pg_create_logical_replication_slot('items_slot', 'pgoutput')");
            s.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')");

            List<String> kinds = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT data FROM pg_logical_slot_get_binary_changes('items_slot', NULL, NULL,"
                    + " 'proto_version', '1', 'publication_names', 'items_pub')")) {
                while (rs.next()) {
                    kinds.add(String.valueOf((char) rs.getBytes(1)[0]));
                }
            }
            // pgoutput messages: B(egin), R(elation), I(nsert) ×2, C(ommit)
            assertThat(kinds).containsExactly("B", "R", "I", "I", "C");
            assertThat(scalar(c, "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'items_slot'"))
                    .isEqualTo("pgoutput");
        }
    }

    @Test
    void createsNamedDatabasesOnDemandAndOnlyOnce() throws SQLException {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();

        String first = pg.createDatabase("store_eu_west");
        String second = pg.createDatabase("store_eu_west");

        assertThat(first).isEqualTo(second).contains(":" + pg.port() + "/store_eu_west");
        try (Connection c = DriverManager.getConnection(first)) {
            assertThat(scalar(c, "SELECT current_database()")).isEqualTo("store_eu_west");
        }
        assertThatThrownBy(() -> pg.createDatabase("Robert'); DROP"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lowercase letters, digits and '_'");
    }

    @Test
    void runsAsRootInAUserNamespace(@TempDir Path dir) throws Exception {
        assumeTrue(isRoot() && Launch.UNSHARE.available(), "needs root and user namespaces");

        try (var pg = EmbeddedPostgres.builder().launch(Launch.UNSHARE).directory(dir.resolve("pg")).start();
             Connection c = pg.connect("postgres")) {
            assertThat(pg.launch()).isEqualTo(Launch.UNSHARE);
            assertThat(scalar(c, "SHOW wal_level")).isEqualTo("logical");
        }
    }

    @Test
    void runsAsRootThroughSetprivAsAnUnprivilegedUser() throws Exception {
        assumeTrue(isRoot() && Launch.SETPRIV.available(), "needs root and setpriv");

        try (var pg = EmbeddedPostgres.builder().launch(Launch.SETPRIV).start();
             Connection c = pg.connect("postgres")) {
            assertThat(scalar(c, "SHOW wal_level")).isEqualTo("logical");
            Path data = pg.directory().resolve("data");
            assertThat(Files.getAttribute(data, "unix:uid")).isEqualTo(Launch.UNPRIVILEGED_ID);
            long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().trim());
            assertThat(Files.getAttribute(Path.of("/proc/" + postmaster), "unix:uid")).isEqualTo(Launch.UNPRIVILEGED_ID);
        }
    }

    @Test
    void startCleansUpAfterAProcessThatWasKilledHard(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("pg");
        int leftoverPort;
        long leftoverPid;
        try (ChildJvm child = ChildJvm.start(ChildMain.class, null, java.util.List.of(), "postgres", home.toString())) {
            leftoverPort = Integer.parseInt(child.readyLine());
            leftoverPid = Long.parseLong(Files.readAllLines(home.resolve("data/postmaster.pid")).getFirst().trim());
            child.killHard();
        }
        // the postmaster outlives the JVM that started it
        assertThat(ProcessHandle.of(leftoverPid).map(ProcessHandle::isAlive)).contains(true);
        assertThat(accepts(leftoverPort)).isTrue();

        try (var pg = EmbeddedPostgres.builder().directory(home).start(); Connection c = pg.connect("postgres")) {
            assertThat(ProcessHandle.of(leftoverPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(scalar(c, "SELECT 1")).isEqualTo("1");
        }
        assertThat(home).doesNotExist();
    }

    @Test
    void refusesADirectoryThatALiveProcessOwns(@TempDir Path dir) {
        try (var pg = EmbeddedPostgres.builder().directory(dir.resolve("pg")).start()) {
            assertThatThrownBy(() -> EmbeddedPostgres.builder().directory(pg.directory()).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is in use by this process");
        }
    }

    private static boolean accepts(int port) {
        try {
            new Socket("localhost", port).close();
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static boolean isRoot() throws java.io.IOException {
        return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }
}
