package io.outpost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.CertificateAuthority;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateways serving HTTPS with certificates of a certificate authority made in the test (the JDK's
 * keytool), and Outpost's clients verifying them: a client of that authority gets through, a
 * gateway whose certificate another authority signed is refused, plain HTTP is not served, and with
 * {@code client-auth: need} only a client presenting a certificate of the authority is served. The
 * stores are PKCS#12 or PEM files.
 */
class TlsIT {

    private static final String PASSWORD = CertificateAuthority.PASSWORD;
    @TempDir
    static Path dir;
    private static String store;
    private static CertificateAuthority.Issued gateway;

    @BeforeAll
    static void authorities() {
        CertificateAuthority outpost = CertificateAuthority.create(dir, "outpost-ca");
        CertificateAuthority rogue = CertificateAuthority.create(dir, "rogue-ca");
        gateway = outpost.issue("gateway");
        rogue.issue("rogue");
        store = EmbeddedPostgres.shared().createDatabase("tls_it");
    }

    private static OutpostConfig config(int port, String keyStore, String clientAuth) {
        return config(port, """
                tls:
                  key-store: "%s"
                  key-store-password: %s
                  trust-store: "%s"
                  trust-store-password: %s
                  client-auth: %s
                """.formatted(dir.resolve(keyStore + ".p12"), PASSWORD, dir.resolve("outpost-ca-trust.p12"), PASSWORD,
                clientAuth));
    }

    /** Two regions with https:// gateways, us on {@code port}, and the given {@code tls} section. */
    private static OutpostConfig config(int port, String tls) {
        String yaml = """
                source: { name: shop, url: "jdbc:postgresql://localhost:1/shop", user: u, tables: [orders] }
                log: { bootstrap-servers: "localhost:9092" }
                monolith: { url: "http://localhost:8080" }
                regions:
                  us: { store: { url: "%s", user: postgres }, gateway: { url: "https://localhost:%d" } }
                  eu: { monolith-route: true, store: { url: "%s", user: postgres }, gateway: { url: "https://localhost:%d" } }
                auth: { mode: none }
                """.formatted(store, port, store, Ports.free()) + tls;
        return OutpostConfig.parse(yaml, Map.<String, String>of()::get);
    }

    private static Gateway start(OutpostConfig config) {
        return Gateway.start(GatewaySettings.of(config, "us").withHost("localhost"));
    }

    private static HttpResponse<String> health(SSLContext tls, String url) throws Exception {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            builder.sslContext(tls);
        }
        try (HttpClient client = builder.build()) {
            return client.send(HttpRequest.newBuilder(URI.create(url + "/outpost/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aGatewayServesHttpsThatOutpostsClientsVerifyAndRefusesAnotherAuthoritysGateway() throws Exception {
        OutpostConfig config = config(Ports.free(), "gateway", "none");
        OutpostConfig rogueConfig = config(Ports.free(), "rogue", "none");
        try (Gateway gateway = start(config); Gateway rogue = start(rogueConfig)) {
            assertThat(gateway.url()).startsWith("https://localhost:");
            SSLContext outpost = Tls.clientContext(config.tls());

            HttpResponse<String> answer = health(outpost, gateway.url());
            assertThat(answer.body()).contains("\"status\"");
            assertThat(answer.sslSession()).hasValueSatisfying(session -> assertThat(session.getProtocol()).startsWith("TLS"));

            assertThatThrownBy(() -> health(outpost, rogue.url())).as("a gateway whose certificate another authority signed")
                    .isInstanceOf(SSLHandshakeException.class);
            assertThatThrownBy(() -> health(null, gateway.url())).as("the JDK's authorities do not know the test's")
                    .isInstanceOf(SSLHandshakeException.class);
            assertThatThrownBy(() -> health(null, gateway.url().replace("https://", "http://")))
                    .as("no plain HTTP on the HTTPS port").isInstanceOf(IOException.class);
        }
    }

    @Test
    void withClientAuthNeedOnlyAClientWithACertificateOfTheAuthorityIsServed() throws Exception {
        OutpostConfig config = config(Ports.free(), "gateway", "need");
        try (Gateway gateway = start(config)) {
            assertThat(health(Tls.clientContext(config.tls()), gateway.url()).body()).contains("\"status\"");

            OutpostConfig withoutCertificate = config(Ports.free(), "gateway", "none");
            assertThatThrownBy(() -> health(Tls.clientContext(withoutCertificate.tls()), gateway.url()))
                    .as("a client that presents no certificate").isInstanceOf(IOException.class);
            OutpostConfig rogueClient = config(Ports.free(), "rogue", "need");
            assertThatThrownBy(() -> health(Tls.clientContext(rogueClient.tls()), gateway.url()))
                    .as("a client whose certificate another authority signed").isInstanceOf(IOException.class);
        }
    }

    @Test
    void aGatewayServesFromPemFilesAndClientsTrustAPemAuthority() throws Exception {
        Path chain = dir.resolve("gateway-chain.pem");
        Files.writeString(chain, Files.readString(gateway.privateKey()) + Files.readString(gateway.certificate())
                + Files.readString(dir.resolve("outpost-ca.crt")));
        OutpostConfig config = config(Ports.free(), "tls: { key-store: \"%s\", trust-store: \"%s\", client-auth: need }\n"
                .formatted(chain, dir.resolve("outpost-ca.crt")));
        try (Gateway served = start(config)) {
            HttpResponse<String> answer = health(Tls.clientContext(config.tls()), served.url());
            assertThat(answer.body()).contains("\"status\"");
            assertThat(answer.sslSession()).hasValueSatisfying(session ->
                    assertThat(session.getLocalCertificates()).as("the client presented the PEM key's certificate").isNotEmpty());
        }

        Path pkcs1 = dir.resolve("pkcs1.pem");
        Files.writeString(pkcs1, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
                + Files.readString(gateway.certificate()));
        OutpostConfig unreadable = config(Ports.free(), "tls: { key-store: \"%s\" }\n".formatted(pkcs1));
        assertThatThrownBy(() -> start(unreadable)).hasMessageContaining("holds a key as BEGIN EC PRIVATE KEY")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }
}
