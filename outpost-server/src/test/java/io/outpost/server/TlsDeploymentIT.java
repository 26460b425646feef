package io.outpost.server;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.CertificateAuthority;
import io.outpost.embedded.EmbeddedKafka;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import io.outpost.examples.shop.ShopData;
import io.outpost.examples.shop.ShopServer;
import io.outpost.gateway.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every connection of a one-region deployment over TLS, under a certificate authority made in the
 * test: PostgreSQL with {@code ssl=on} reached with {@code sslmode=verify-full} (capture's
 * replication connection included), Kafka through an SSL listener only ({@code log.security}), the
 * gateway serving HTTPS from PEM files with mutual TLS, which its monitor's probes present.
 */
class TlsDeploymentIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @DisplayName("capture, projector, gateway and monitor work with PostgreSQL, Kafka and HTTP all over verified TLS")
    void everyRoleRunsOverTls() throws Exception {
        CertificateAuthority authority = CertificateAuthority.create(dir, "outpost-ca");
        CertificateAuthority.Issued database = authority.issue("postgres");
        CertificateAuthority.Issued broker = authority.issue("kafka");
        CertificateAuthority.Issued gateway = authority.issue("gateway");
        Path gatewayPem = dir.resolve("gateway.pem");
        Files.writeString(gatewayPem, Files.readString(gateway.privateKey()) + Files.readString(gateway.certificate()));

        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setting("ssl", "on")
                .setting("ssl_cert_file", "'" + database.certificate() + "'")
                .setting("ssl_key_file", "'" + database.privateKey() + "'").start();
             EmbeddedKafka kafka = EmbeddedKafka.builder().sslListener(broker.keyStore(), CertificateAuthority.PASSWORD).start()) {
            String verified = "&sslmode=verify-full&sslrootcert=" + authority.certificate();
            String shopDb = postgres.createDatabase("tls_shop") + verified;
            String storeDb = postgres.createDatabase("tls_store") + verified;
            int port = Ports.free();
            String yaml = """
                    source: { name: tls_shop, url: "%s", user: postgres, tables: [customers, products, orders, order_lines] }
                    log:
                      bootstrap-servers: "%s"
                      security: { security.protocol: SSL, ssl.truststore.type: PKCS12, ssl.truststore.location: "%s",
                                  ssl.truststore.password: "%s" }
                    monolith: { url: "%%s" }
                    regions:
                      solo:
                        monolith-route: true
                        store: { url: "%s", user: postgres }
                        gateway: { url: "https://localhost:%d" }
                    commands: { route: [solo] }
                    auth: { mode: none }
                    tls: { key-store: "%s", trust-store: "%s", client-auth: need }
                    health: { probe-interval: 500ms, probe-timeout: 500ms, observation-ttl: 3s }
                    """.formatted(shopDb, kafka.sslBootstrapServers(), authority.trustStore(), CertificateAuthority.PASSWORD,
                    storeDb, port, gatewayPem, authority.certificate());

            try (ShopServer shop = ShopServer.start(new ShopServer.Settings(shopDb, EmbeddedPostgres.SUPERUSER, "",
                    "localhost", Ports.free()))) {
                ShopData.seed(shop.dataSource(), 5, 5, 5, 7);
                OutpostConfig config = OutpostConfig.parse(yaml.formatted(shop.url()), Map.<String, String>of()::get);
                String base = "https://localhost:" + port;
                try (Deployment deployment = Deployment.start(config, "solo", EnumSet.allOf(Deployment.Role.class));
                     HttpClient https = HttpClient.newBuilder().sslContext(Tls.clientContext(config.tls()))
                             .connectTimeout(Duration.ofSeconds(5)).build()) {
                    assertThat(deployment.describe()).contains("gateway on " + base);
                    await().alias("the monitor's probes over mutual TLS find region solo UP").atMost(60, SECONDS)
                            .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                                JsonNode regions = JSON.readTree(https.send(HttpRequest.newBuilder(
                                        URI.create(base + "/outpost/v1/regions")).build(),
                                        HttpResponse.BodyHandlers.ofString()).body()).path("regions");
                                assertThat(regions.get(0).path("state").asText()).isEqualTo("UP");
                            });
                    HttpResponse<String> placed = https.send(HttpRequest.newBuilder(URI.create(base + "/orders"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"customer_id\": 1, \"lines\": [{\"product_id\": 2, \"qty\": 1}]}"))
                            .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
                    long id = JSON.readTree(placed.body()).path("id").asLong();
                    try (Connection c = DriverManager.getConnection(storeDb); Statement s = c.createStatement()) {
                        await().alias("order " + id + " captured, logged and projected, all over TLS").atMost(30, SECONDS)
                                .until(() -> {
                                    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM replica_tls_shop.orders WHERE id = " + id)) {
                                        return rs.next() && rs.getLong(1) == 1;
                                    } catch (java.sql.SQLException e) {
                                        return false;
                                    }
                                });
                    }

                    try (Connection c = DriverManager.getConnection(storeDb); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT a.backend_type, a.application_name, a.datname, s.ssl "
                                 + "FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                                 + "WHERE a.backend_type IN ('client backend', 'walsender')")) {
                        List<String> plain = new ArrayList<>();
                        List<String> senders = new ArrayList<>();
                        while (rs.next()) {
                            String connection = rs.getString(1) + " " + rs.getString(2) + " to " + rs.getString(3);
                            if (!rs.getBoolean(4)) {
                                plain.add(connection);
                            }
                            if ("walsender".equals(rs.getString(1))) {
                                senders.add(connection);
                            }
                        }
                        assertThat(plain).as("connections without TLS").isEmpty();
                        assertThat(senders).as("capture's replication connection, over TLS").isNotEmpty();
                    }
                }
            }
        }
    }
}
