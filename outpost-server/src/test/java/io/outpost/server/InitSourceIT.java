package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.examples.shop.ShopServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code outpost init-source}: the SQL printed for a configuration, and applied to a real source. */
class InitSourceIT {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static Path config(Path dir, String url, String user) throws IOException {
        Path file = dir.resolve("outpost.yml");
        Files.writeString(file, """
                source: { name: shop, url: "%s", user: %s, tables: [customers, products, orders, order_lines] }
                log: { bootstrap-servers: "localhost:9092" }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(url, user));
        return file;
    }

    @Test
    void printsTheSqlThatGrantsTheLeastAndAppliesItInOneGo(@TempDir Path dir) throws Exception {
        String admin = EmbeddedPostgres.shared().createDatabase("init_source_it");
        try (ShopServer shop = ShopServer.start(new ShopServer.Settings(admin, EmbeddedPostgres.SUPERUSER, "", "localhost", 0))) {
            shop.dataSource(); // the shop's tables, made by its migrations
        }
        String role = "outpost_init_" + ProcessHandle.current().pid();
        String url = admin.replace("?user=" + EmbeddedPostgres.SUPERUSER, "");
        Path file = config(dir, url, role);

        Run printed = run("init-source", "--config", file.toString());
        assertThat(printed.exit()).as(printed.err()).isZero();
        assertThat(printed.out()).contains("CREATE ROLE \"" + role + "\" LOGIN REPLICATION",
                "GRANT SELECT ON TABLE \"public\".\"customers\", \"public\".\"products\", \"public\".\"orders\", "
                        + "\"public\".\"order_lines\" TO \"" + role + "\"",
                "CREATE PUBLICATION \"outpost_shop\" FOR TABLE", "CREATE SCHEMA IF NOT EXISTS outpost AUTHORIZATION",
                "ALTER ROLE \"" + role + "\" PASSWORD");

        Run applied = run("init-source", "--config", file.toString(), "--apply");
        assertThat(applied.exit()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("role " + role + " may replicate and read 4 tables");
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT rolreplication, rolsuper, rolcreatedb FROM pg_roles WHERE rolname = '"
                    + role + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).isTrue();
                assertThat(rs.getBoolean(2)).isFalse();
                assertThat(rs.getBoolean(3)).isFalse();
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'outpost_shop'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(4);
            }
            try (ResultSet rs = s.executeQuery("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'outpost'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(role);
            }
            try (ResultSet rs = s.executeQuery("SELECT has_table_privilege('" + role + "', 'public.orders', 'INSERT'), "
                    + "has_table_privilege('" + role + "', 'public.orders', 'SELECT')")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("may not write the monolith's tables").isFalse();
                assertThat(rs.getBoolean(2)).isTrue();
            }
        }
        assertThat(run("init-source", "--config", file.toString(), "--apply").exit()).as("again: no harm").isZero();

        Run refused = run("init-source", "--config", file.toString(), "--apply", "--admin-user", role);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("refused the set-up as " + role, "nothing was changed");
    }
}
