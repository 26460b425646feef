package io.outpost.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.capture.CaptureSettings;
import io.outpost.core.config.OutpostConfig;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EnginePropertiesTest {

    private static Properties of(String url) {
        return of(url, "");
    }

    private static Properties of(String url, String logSecurity) {
        String yaml = """
                source: { name: shop, url: "%s", user: outpost, tables: [orders] }
                log: { bootstrap-servers: "localhost:9092"%s }
                monolith: { url: "http://localhost:8080" }
                regions: { us: { monolith-route: true, store: { url: "jdbc:postgresql://x/y", user: u }, gateway: { url: "http://localhost:7001" } } }
                auth: { mode: none }
                """.formatted(url, logSecurity);
        return EngineProperties.of(CaptureSettings.of(OutpostConfig.parse(yaml, Map.<String, String>of()::get)));
    }

    @Test
    void theSourceUrlsTlsSettingsReachDebeziumWhichTakesNoUrl() {
        Properties tls = of("jdbc:postgresql://db.internal:6432/shop?sslmode=verify-full&sslrootcert=/etc/outpost/ca.crt"
                + "&sslcert=/etc/outpost/capture.crt&sslkey=/etc/outpost/capture.pk8");
        assertThat(tls).containsEntry("database.hostname", "db.internal").containsEntry("database.port", "6432")
                .containsEntry("database.dbname", "shop").containsEntry("database.sslmode", "verify-full")
                .containsEntry("database.sslrootcert", "/etc/outpost/ca.crt")
                .containsEntry("database.sslcert", "/etc/outpost/capture.crt")
                .containsEntry("database.sslkey", "/etc/outpost/capture.pk8");

        assertThat(of("jdbc:postgresql://db.internal/shop").stringPropertyNames()).noneMatch(name -> name.contains("ssl"));
    }

    @Test
    void theChangeLogsKafkaSecurityReachesTheOffsetStoresClients() {
        Properties tls = of("jdbc:postgresql://db.internal/shop", ", security: { security.protocol: SSL, "
                + "ssl.truststore.location: /etc/outpost/kafka-ca.p12, ssl.truststore.password: secret }");
        // Kafka Connect's offset store builds its producer, consumer and admin client from the engine's properties
        assertThat(tls).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.location", "/etc/outpost/kafka-ca.p12")
                .containsEntry("ssl.truststore.password", "secret")
                .containsEntry("bootstrap.servers", "localhost:9092");

        assertThat(of("jdbc:postgresql://db.internal/shop").stringPropertyNames()).doesNotContain("security.protocol");
    }
}
