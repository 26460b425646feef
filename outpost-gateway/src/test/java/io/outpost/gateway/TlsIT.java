package io.outpost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.core.config.OutpostConfig;
import io.outpost.embedded.EmbeddedPostgres;
import io.outpost.embedded.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateways serving HTTPS with certificates of a certificate authority made in the test (the JDK's
 * keytool), and Outpost's clients verifying them: a client of that authority gets through, a
 * gateway whose certificate another authority signed is refused, plain HTTP is not served, and with
 * {@code client-auth: need} only a client presenting a certificate of the authority is served.
 */
class TlsIT {

    private static final String PASSWORD = "changeit";
    @TempDir
    static Path dir;
    private static String store;

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", String.join(" ", args), output).isZero();
    }

    /** An authority {@code ca}.p12 (its certificate in {@code ca}.crt and the trust store {@code ca}-trust.p12). */
    private static void authority(String ca) throws Exception {
        keytool("-genkeypair", "-alias", ca, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + ca,
                "-ext", "bc:c", "-validity", "2", "-keystore", ca + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-exportcert", "-alias", ca, "-keystore", ca + ".p12", "-storepass", PASSWORD, "-rfc", "-file", ca + ".crt");
        keytool("-importcert", "-alias", ca, "-file", ca + ".crt", "-keystore", ca + "-trust.p12", "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-noprompt");
    }

    /** A key store {@code name}.p12 for localhost, signed by {@code ca}. */
    private static void certificate(String name, String ca) throws Exception {
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-keystore", name + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", name, "-keystore", name + ".p12", "-storepass", PASSWORD, "-file", name + ".csr");
        keytool("-gencert", "-alias", ca, "-keystore", ca + ".p12", "-storepass", PASSWORD, "-infile", name + ".csr",
                "-outfile", name + ".crt", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-rfc");
        keytool("-importcert", "-alias", ca, "-file", ca + ".crt", "-keystore", name + ".p12", "-storepass", PASSWORD,
                "-noprompt");
        keytool("-importcert", "-alias", name, "-file", name + ".crt", "-keystore", name + ".p12", "-storepass", PASSWORD);
    }

    @BeforeAll
    static void authorities() throws Exception {
        authority("outpost-ca");
        authority("rogue-ca");
        certificate("gateway", "outpost-ca");
        certificate("rogue", "rogue-ca");
        store = EmbeddedPostgres.shared().createDatabase("tls_it");
    }

    private static OutpostConfig config(int port, String keyStore, String clientAuth) {
        String yaml = """
                source: { name: shop, url: "jdbc:postgresql://localhost:1/shop", user: u, tables: [orders] }
                log: { bootstrap-servers: "localhost:9092" }
                monolith: { url: "http://localhost:8080" }
                regions:
                  us: { store: { url: "%s", user: postgres }, gateway: { url: "https://localhost:%d" } }
                  eu: { monolith-route: true, store: { url: "%s", user: postgres }, gateway: { url: "https://localhost:%d" } }
                auth: { mode: none }
                tls:
                  key-store: "%s"
                  key-store-password: %s
                  trust-store: "%s"
                  trust-store-password: %s
                  client-auth: %s
                """.formatted(store, port, store, Ports.free(), dir.resolve(keyStore + ".p12"), PASSWORD,
                dir.resolve("outpost-ca-trust.p12"), PASSWORD, clientAuth);
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
}
