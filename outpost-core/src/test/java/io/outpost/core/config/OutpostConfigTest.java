package io.outpost.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutpostConfigTest {

    private static final String MINIMAL = """
            source: { name: shop, url: "jdbc:postgresql://db:5432/shop", user: outpost, tables: [orders] }
            log: { bootstrap-servers: "kafka:9092" }
            monolith: { url: "http://shop:8080" }
            regions:
              us-east:
                monolith-route: true
                store: { url: "jdbc:postgresql://us:5432/store", user: outpost }
                gateway: { url: "http://us.example.com:7001" }
            auth: { mode: none }
            """;

    private static List<ConfigProblem> problemsOf(String yaml, Map<String, String> env) {
        try {
            OutpostConfig.parse(yaml, env::get);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be rejected");
    }

    private static List<String> rendered(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void parsesTheExampleShopConfiguration() throws IOException {
        String yaml = Files.readString(Path.of("..", "examples", "outpost-shop.yml"));

        OutpostConfig config = OutpostConfig.parse(yaml, Map.of("KAFKA_BOOTSTRAP", "broker:9092",
                "OUTPOST_SERVICE_TOKEN", "s".repeat(40), "OUTPOST_CURSOR_KEY", "c".repeat(40))::get);

        assertThat(config.source().tables())
                .containsExactly("public.customers", "public.products", "public.orders", "public.order_lines");
        assertThat(config.source().slot()).isEqualTo("outpost_shop");
        assertThat(config.changesTopic()).isEqualTo("outpost.shop.changes");
        assertThat(config.log().bootstrapServers()).isEqualTo("broker:9092");
        assertThat(config.regions()).containsOnlyKeys("us-east", "eu-west", "ap-south");
        assertThat(config.regions().get("eu-west").gateway().port()).isEqualTo(7002);
        assertThat(config.regions().get("eu-west").log().bootstrapServers()).isEqualTo("broker:9092");
        assertThat(config.commands().route()).as("home, then the backup link").containsExactly("us-east", "ap-south");
        assertThat(config.regions().values()).filteredOn(RegionConfig::monolithRoute).extracting(RegionConfig::name)
                .containsExactly("us-east", "ap-south");
        assertThat(config.views()).containsOnlyKeys("orders", "products", "customer_orders");
        assertThat(config.views().get("orders").changes()).containsKeys("orders", "order_lines", "customers");
        assertThat(config.views().get("orders").changes().get("order_lines"))
                .isEqualTo(new ChangeMapping.KeyColumn("order_id"));
        assertThat(config.views().get("orders").changes().get("customers"))
                .isInstanceOf(ChangeMapping.KeyQuery.class);
        assertThat(config.routes()).extracting(RouteConfig::view).containsExactly("orders", "products", "customer_orders");
        assertThat(config.health().failuresToDown()).isEqualTo(3);
        assertThat(config.auth().mode()).isEqualTo(AuthConfig.Mode.JWT);
        assertThat(config.auth().jwt().keyFile()).isEqualTo("/etc/outpost/shop-issuer.jwks.json");
        assertThat(config.views().get("products").read().isPublic()).isTrue();
        assertThat(config.views().get("customer_orders").read().rules().get(1).rows().getFirst().onKey()).isTrue();
        assertThat(problemsOf(yaml, Map.of("KAFKA_BOOTSTRAP", "broker:9092")))
                .as("the secrets must come from the environment").hasSize(2);
    }

    @Test
    void appliesDefaultsAndDerivedDefaults() {
        OutpostConfig config = OutpostConfig.parse(MINIMAL, Map.<String, String>of()::get);

        assertThat(config.source().heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.source().publication()).isEqualTo("outpost_shop");
        assertThat(config.log().topicPrefix()).isEqualTo("outpost");
        assertThat(config.log().retention()).isEmpty();
        assertThat(config.regions().get("us-east").gateway().port()).isEqualTo(7001);
        assertThat(config.regions().get("us-east").store().poolSize()).isEqualTo(10);
        assertThat(config.commands().route()).containsExactly("us-east");
        assertThat(config.commands().maxHops()).isEqualTo(2);
        assertThat(config.health().probeTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.health().canaryInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.views()).isEmpty();
        assertThat(config.projector()).isEqualTo(ProjectorConfig.defaults());
    }

    @Test
    void readsTheProjectorSectionAndRejectsAnUnknownErrorPolicy() {
        OutpostConfig config = OutpostConfig.parse(MINIMAL + "projector: { batch-max-rows: 200, batch-max-delay: 5ms, "
                + "on-view-error: record }\n", Map.<String, String>of()::get);
        assertThat(config.projector()).isEqualTo(new ProjectorConfig(200, Duration.ofMillis(5),
                ProjectorConfig.OnViewError.RECORD));

        assertThat(rendered(problemsOf(MINIMAL + "projector: { batch-max-rows: 0, on-view-error: skip }\n", Map.of())))
                .containsExactlyInAnyOrder(
                        "projector.batch-max-rows: must be a whole number from 1 to 1000000, but was 0",
                        "projector.on-view-error: must be stop or record, but was \"skip\"");
    }

    @Test
    void reportsEveryProblemAtOnceEachWithItsKeyPathRuleAndValue() {
        String yaml = """
                source: { name: Shop, url: "postgres://x", user: outpost, tables: [], heartbeat-interval: 3 }
                log: { bootstrap-servers: "kafka" }
                monolith: { url: "shop:8080", timeout: 5 }
                regions:
                  eu-west:
                    store: { url: "jdbc:postgresql://eu/store", user: outpost, pool-size: 0 }
                    gateway: { url: "http://eu:7002" }
                commands: { route: [us-east] }
                routes:
                  - { path: "orders/{id}", view: orders }
                health: { probe-interval: 1s, probe-timeout: 2s, canary-interval: 10ms }
                auth: { mode: none }
                """;

        List<String> problems = rendered(problemsOf(yaml, Map.of()));

        assertThat(problems).contains(
                "source.name: must be a name of lowercase letters, digits and '_' that starts with a letter, but was \"Shop\"",
                "source.url: must be a jdbc:postgresql URL such as jdbc:postgresql://db.example.com:5432/shop, but was \"postgres://x\"",
                "source.tables: must name at least one table to capture",
                "source.heartbeat-interval: must be a duration like 500ms, 5s, 2m, 1h or 7d, but was 3",
                "log.bootstrap-servers: must be a comma-separated list of host:port such as kafka-1:9092,kafka-2:9092, but was \"kafka\"",
                "monolith.url: must be an http:// or https:// URL such as https://shop.internal:8080, but was \"shop:8080\"",
                "monolith.timeout: must be a duration like 500ms, 5s, 2m, 1h or 7d, but was 5",
                "regions.eu-west.store.pool-size: must be a whole number from 1 to 200, but was 0",
                "commands.route: names \"us-east\", which is not a region; the regions are [eu-west]",
                "routes[0].path: must be a path that starts with '/', but was \"orders/{id}\"",
                "routes[0].view: names \"orders\", which is not a view; the views are []",
                "health.probe-timeout: must not be longer than health.probe-interval (1000 ms), but was 2000 ms",
                "health.canary-interval: must be at least 100 ms (each fence is a write to the source), but was 10 ms");
        assertThat(problems).hasSize(13);
    }

    @Test
    void tracingIsOffUnlessAnOtlpEndpointIsGiven() {
        assertThat(OutpostConfig.parse(MINIMAL, n -> null).tracing().enabled()).isFalse();
        OutpostConfig traced = OutpostConfig.parse(MINIMAL
                + "tracing: { otlp-endpoint: \"http://collector:4318/v1/traces\", sample-percent: 10 }\n", n -> null);
        assertThat(traced.tracing().otlpEndpoint()).hasValue("http://collector:4318/v1/traces");
        assertThat(traced.tracing().samplePercent()).isEqualTo(10);
        assertThat(rendered(problemsOf(MINIMAL + "tracing: { otlp-endpoint: collector, sample-percent: 101 }\n", Map.of())))
                .anySatisfy(p -> assertThat(p).startsWith("tracing.otlp-endpoint: "))
                .anySatisfy(p -> assertThat(p).startsWith("tracing.sample-percent: must be a whole number from 0 to 100"));
    }

    @Test
    void rejectsUnknownKeysAndSuggestsTheNearestKnownOne() {
        String yaml = MINIMAL.replace("tables: [orders]", "tables: [orders], heartbeat-intervall: 2s")
                + "helth: { probe-interval: 1s }\n";

        List<String> problems = rendered(problemsOf(yaml, Map.of()));

        assertThat(problems).containsExactlyInAnyOrder(
                "source.heartbeat-intervall: is not a known setting; did you mean 'heartbeat-interval'? (known here: "
                        + "name, kind, url, user, password, tables, slot, publication, heartbeat-interval, gateway-user, gateway-password)",
                "helth: is not a known setting; did you mean 'health'? (known here: "
                        + "source, log, monolith, regions, commands, views, routes, health, projector, auth, tls, tracing)");
    }

    @Test
    void reportsMissingRequiredSettingsAndSections() {
        String yaml = """
                source: { name: shop, tables: [orders] }
                regions: {}
                """;

        List<String> problems = rendered(problemsOf(yaml, Map.of()));

        assertThat(problems).containsExactly(
                "source.url: is required and missing; it must be a jdbc:postgresql URL such as jdbc:postgresql://db.example.com:5432/shop",
                "source.user: is required and missing; it must be non-empty text",
                "log: is required and missing: The durable change log (Kafka).",
                "monolith: is required and missing: The monolith's HTTP API.",
                "regions: is required and needs at least one entry: The regions, each with its own store and gateway.",
                "auth: is required and missing: Who is asking: authentication of every region's gateway (write mode: "
                        + "none to serve without it).");
    }

    @Test
    void substitutesEnvironmentVariablesAndTheirDefaults() {
        String yaml = MINIMAL
                .replace("user: outpost, tables", "user: \"${DB_USER}\", password: \"${DB_PASSWORD:-fallback}\", tables")
                .replace("\"kafka:9092\"", "\"${KAFKA_HOST:-kafka}:${KAFKA_PORT}\"")
                .replace("store: { url: \"jdbc:postgresql://us:5432/store\", user: outpost }",
                        "store: { url: \"jdbc:postgresql://us:5432/store\", user: outpost, password: \"$${not-a-variable}\" }");

        OutpostConfig config = OutpostConfig.parse(yaml, Map.of("DB_USER", "alice", "KAFKA_PORT", "19092")::get);

        assertThat(config.source().user()).isEqualTo("alice");
        assertThat(config.source().password()).isEqualTo("fallback");
        assertThat(config.log().bootstrapServers()).isEqualTo("kafka:19092");
        assertThat(config.regions().get("us-east").store().password()).isEqualTo("${not-a-variable}");
    }

    @Test
    void theHashIsTheFilesNotTheEnvironmentsAndIgnoresCommentsAndLayout() {
        String yaml = MINIMAL.replace("user: outpost, tables", "user: \"${DB_USER}\", tables");
        OutpostConfig alice = OutpostConfig.parse(yaml, Map.of("DB_USER", "alice")::get);
        OutpostConfig bob = OutpostConfig.parse(yaml, Map.of("DB_USER", "bob")::get);
        OutpostConfig commented = OutpostConfig.parse("# the shop's regions\n" + yaml.replace("log: {", "log:   {"),
                Map.of("DB_USER", "alice")::get);
        OutpostConfig changed = OutpostConfig.parse(yaml.replace("tables: [orders]", "tables: [orders, customers]"),
                Map.of("DB_USER", "alice")::get);

        assertThat(alice.hash()).matches("[0-9a-f]{16}").isEqualTo(bob.hash()).isEqualTo(commented.hash());
        assertThat(changed.hash()).isNotEqualTo(alice.hash());
    }

    @Test
    void substitutedValuesAreTypedLikeWrittenOnes() {
        String yaml = MINIMAL.replace("gateway: { url: \"http://us.example.com:7001\" }",
                "gateway: { url: \"http://us.example.com:7001\", port: \"${PORT}\" }");

        assertThat(OutpostConfig.parse(yaml, Map.of("PORT", "9001")::get).regions().get("us-east").gateway().port())
                .isEqualTo(9001);
        assertThat(rendered(problemsOf(yaml, Map.of("PORT", "ninety")))).containsExactly(
                "regions.us-east.gateway.port: must be a whole number from 1 to 65535, but was \"ninety\"");
    }

    @Test
    void namesTheKeyOfAnUnsetEnvironmentVariable() {
        String yaml = MINIMAL.replace("user: outpost, tables", "user: outpost, password: \"${SHOP_DB_PASSWORD}\", tables");

        assertThat(rendered(problemsOf(yaml, Map.of()))).containsExactly(
                "source.password: refers to the environment variable SHOP_DB_PASSWORD, which is not set; "
                        + "set it, or give a default with ${SHOP_DB_PASSWORD:-default}");
    }

    @Test
    void checksViewsAgainstTheCapturedTables() {
        String yaml = MINIMAL + """
                views:
                  orders:
                    key: id
                    sql: SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id
                    changes: { orders: id, customers: SELECT id FROM orders WHERE customer_id = 1 }
                    indexes: ["orders(customer_id, placed_at)", "products(name)"]
                  broken:
                    key: id
                    sql: DELETE FROM orders
                    changes: {}
                    fields: ["customer..name"]
                    indexes: ["orders customer_id"]
                """;

        assertThat(rendered(problemsOf(yaml, Map.of()))).containsExactly(
                "views.orders.changes.customers: is not a captured table; add public.customers to source.tables, "
                        + "or remove it here (captured: [public.orders])",
                "views.orders.indexes: item 2 (products(name)) is not on a table the view reads; index one of the tables "
                        + "of its changes (orders, customers)",
                "views.broken.sql: must be a SELECT (or WITH … SELECT) query, but starts with \"DELETE\"",
                "views.broken.changes: must map at least one source table to the view's keys",
                "views.broken.fields: item 1 must be a document field path such as customer.name, but was \"customer..name\"",
                "views.broken.indexes: item 1 must be an index such as orders(customer_id, placed_at): a table and its "
                        + "columns in index order, but was \"orders customer_id\"");
    }

    @Test
    void readsAViewsIndexes() {
        String yaml = MINIMAL + """
                views:
                  latest:
                    key: id
                    sql: SELECT o.id FROM orders o
                    changes: { orders: id }
                    indexes: [" orders ( customer_id ,placed_at, id ) "]
                """;

        ViewDefinition view = OutpostConfig.parse(yaml, Map.<String, String>of()::get).views().get("latest");
        assertThat(view.indexes()).containsExactly(new ReplicaIndex("orders", List.of("customer_id", "placed_at", "id")));
        assertThat(view.indexes().getFirst()).hasToString("orders(customer_id, placed_at, id)");
    }

    @Test
    void refusesAConfigurationWhereNoRegionReachesTheMonolith() {
        String yaml = MINIMAL.replace("monolith-route: true", "monolith-route: false");

        assertThat(rendered(problemsOf(yaml, Map.of()))).containsExactly(
                "regions: no region has monolith-route: true, so no command could reach the monolith; "
                        + "set it on the region(s) that can reach http://shop:8080");
    }

    @Test
    void reportsInvalidYamlWithItsLocation() {
        assertThatThrownBy(() -> OutpostConfig.parse("source: [unclosed\n", Map.<String, String>of()::get))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not valid YAML at line");
    }

    @Test
    void referenceDocumentsEverySettingFromItsDefinition() {
        String reference = OutpostConfig.reference();

        List<String> paths = Def.flatten(OutpostConfig.ROOT, "", entry -> entry.def() instanceof Def.Setting<?>
                ? entry.path() : null).stream().filter(java.util.Objects::nonNull).toList();
        assertThat(paths).hasSizeGreaterThan(30);
        for (String path : paths) {
            assertThat(reference).as("reference entry for %s", path).contains("  " + path + "\n");
        }
        assertThat(reference).contains("regions.<region>.store.url\n      JDBC URL of the region's store database.\n"
                + "      type: a jdbc:postgresql URL such as jdbc:postgresql://db.example.com:5432/shop\n      required\n");
        assertThat(reference).contains("  source.heartbeat-interval\n", "default: 1s", "default: outpost_<source.name>");
    }

    private static final String SECURED = MINIMAL.replace("auth: { mode: none }\n", "") + """
            auth:
              mode: jwt
              service-token: "${SERVICE_TOKEN}"
              cursor-keys: ["${CURSOR_KEY}", "${OLD_CURSOR_KEY:-}"]
              jwt: { jwks-url: "https://idp.example.com/jwks.json", issuer: "https://idp.example.com/", audience: shop }
            views:
              orders:
                key: id
                sql: SELECT id, customer_id, status FROM orders
                changes: { orders: id }
                fields: [status, customer.id]
                read:
                  - { scope: "orders:read:all" }
                  - { scope: "orders:read", rows: { customer.id: "{claims.sub}" }, hide: [customer.email] }
                  - { rows: { status: { in: [PAID, 5, true] }, id: "{claims.order}" } }
              products:
                key: id
                sql: SELECT id FROM orders
                changes: { orders: id }
                read: public
            """;
    private static final Map<String, String> SECRETS = Map.of("SERVICE_TOKEN", "s".repeat(32), "CURSOR_KEY", "c".repeat(40));

    @Test
    void readsAuthenticationAndEveryViewsReadRules() {
        OutpostConfig config = OutpostConfig.parse(SECURED, SECRETS::get);

        assertThat(config.auth().mode()).isEqualTo(AuthConfig.Mode.JWT);
        assertThat(config.auth().cursorKeys()).as("the empty second key is skipped").containsExactly("c".repeat(40));
        assertThat(config.auth().jwt().algorithms()).containsExactly("RS256", "ES256");
        assertThat(config.auth().jwt().clockSkew()).isEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(config.auth().adminScope()).isEqualTo("outpost:admin");
        assertThat(config.views().get("products").read()).isEqualTo(ReadPolicy.PUBLIC);
        assertThat(config.views().get("orders").read().rules()).containsExactly(
                new ReadPolicy.Rule("orders:read:all", List.of(), List.of()),
                new ReadPolicy.Rule("orders:read", List.of(new ReadPolicy.Condition("customer.id", false,
                        List.of(new ReadPolicy.Claim("sub")))), List.of("customer.email")),
                new ReadPolicy.Rule(null, List.of(
                        new ReadPolicy.Condition("status", false, List.of(new ReadPolicy.Literal("\"PAID\""),
                                new ReadPolicy.Literal("5"), new ReadPolicy.Literal("true"))),
                        new ReadPolicy.Condition("id", true, List.of(new ReadPolicy.Claim("order")))), List.of()));
    }

    @Test
    void authProblemsAreListedWithTheirKeysAndFixes() {
        String yaml = SECURED
                .replace("mode: jwt", "mode: ldap")
                .replace("customer.id: \"{claims.sub}\"", "email: \"{claims.sub}\", customer.id: \"{claim.sub}\"");

        assertThat(rendered(problemsOf(yaml, SECRETS))).containsExactlyInAnyOrder(
                "auth.mode: must be one of: none, jwt, forward, but was \"ldap\"",
                "views.orders.read[1].rows.email: is not a declared field of the view, so a rule cannot compare it; declare "
                        + "it in the view's fields, or compare one of [status, customer.id] or the key id",
                "views.orders.read[1].rows.customer.id: must name a claim as {claims.NAME} (the whole value, such as "
                        + "\"{claims.sub}\"), or be a literal without braces, but was \"{claim.sub}\"");

        assertThat(rendered(problemsOf(SECURED.replace("    read: public\n", ""), SECRETS))).containsExactly(
                "views.products.read: is required when auth.mode is jwt: write read: public, or the rules that say who "
                        + "sees which rows, e.g. [{ scope: \"products:read\" }]");
        assertThat(rendered(problemsOf(SECURED, Map.of("SERVICE_TOKEN", "short", "CURSOR_KEY", "")))).containsExactly(
                "auth.service-token: is too short (5 characters) when mode is jwt: set a secret of at least 32 random "
                        + "characters, the same in every region, from the environment (${OUTPOST_SERVICE_TOKEN})",
                "auth.cursor-keys: is required when mode is jwt: list a secret of at least 32 random characters, the same "
                        + "in every region, from the environment (${OUTPOST_CURSOR_KEY})");
        assertThat(rendered(problemsOf(SECURED.replace("mode: jwt", "mode: none")
                .replace("  jwt: { jwks-url", "  # jwt: { jwks-url"), SECRETS))).containsExactly(
                "views.orders.read: has rules, but auth.mode is none, so nothing would enforce them and everyone would read "
                        + "every row; set auth.mode: jwt, or remove the rules");
        assertThat(rendered(problemsOf(SECURED.replace("jwks-url: \"https://idp.example.com/jwks.json\", ", "")
                .replace("algorithms", "x"), SECRETS))).containsExactly(
                "auth.jwt.jwks-url: or key-file is required: say where the token signing keys are");
        assertThat(rendered(problemsOf(SECURED.replace("audience: shop }", "audience: shop, algorithms: [HS256] }"),
                SECRETS))).containsExactly("auth.jwt.algorithms: item 1 must be one of: RS256, RS384, RS512, PS256, PS384, "
                + "PS512, ES256, ES384, ES512, but was \"HS256\"");
    }

    @Test
    void tlsProblemsNameTheGatewaysAndTheSettingsThatDisagree() {
        String https = MINIMAL.replace("http://us.example.com:7001", "https://us.example.com:7001");
        assertThat(rendered(problemsOf(https, Map.of()))).containsExactly(
                "tls.key-store: is required: the gateways of [us-east] have https:// URLs, so they serve HTTPS with the "
                        + "certificate in this key store");
        assertThat(rendered(problemsOf(MINIMAL + "tls: { key-store: /etc/outpost/gateway.p12 }\n", Map.of())))
                .containsExactly("tls.key-store: is set, so every gateway serves HTTPS, but the gateway URLs of [us-east] are "
                        + "http://; make them https://");
        assertThat(rendered(problemsOf(https + "tls: { key-store: /etc/outpost/gateway.p12, client-auth: need }\n", Map.of())))
                .containsExactly("tls.client-auth: is need, which needs key-store (the certificate Outpost's clients present) "
                        + "and trust-store (the authority that signs it)");
        OutpostConfig served = OutpostConfig.parse(https + "tls: { key-store: /etc/outpost/gateway.p12, key-store-password: x }\n",
                Map.<String, String>of()::get);
        assertThat(served.tls().serves()).isTrue();
        assertThat(OutpostConfig.parse(MINIMAL, Map.<String, String>of()::get).tls()).isEqualTo(TlsConfig.none());
    }

    @Test
    void kafkaSecuritySettingsReachEveryRegionsAccessAndNeverItsText() {
        String ssl = MINIMAL.replace("log: { bootstrap-servers: \"kafka:9092\" }", """
                log:
                  bootstrap-servers: "kafka:9093"
                  security: { security.protocol: SSL, ssl.truststore.location: /etc/outpost/kafka-ca.p12,
                              ssl.truststore.password: "${KAFKA_TRUST}" }
                """);
        OutpostConfig config = OutpostConfig.parse(ssl, Map.of("KAFKA_TRUST", "s3cret")::get);
        Map<String, String> expected = Map.of("security.protocol", "SSL",
                "ssl.truststore.location", "/etc/outpost/kafka-ca.p12", "ssl.truststore.password", "s3cret");
        assertThat(config.log().access().security()).isEqualTo(expected);
        assertThat(config.regions().get("us-east").log().security()).isEqualTo(expected);
        assertThat(config.log().access().clientConfig()).containsEntry("bootstrap.servers", "kafka:9093")
                .containsEntry("security.protocol", "SSL");
        assertThat(config.log().access()).hasToString("kafka:9093 (SSL)").asString().doesNotContain("s3cret");

        assertThat(rendered(problemsOf(ssl.replace("security.protocol: SSL", "security.protocol: TLS")
                .replace("ssl.truststore.password", "acks"), Map.of("KAFKA_TRUST", "x")))).containsExactly(
                "log.security: key \"acks\" must be a Kafka client setting named security.protocol, ssl.* or sasl.*, "
                        + "but was \"acks\"");
        assertThat(rendered(problemsOf(ssl.replace("security.protocol: SSL", "security.protocol: TLS"),
                Map.of("KAFKA_TRUST", "x")))).containsExactly(
                "log.security.security.protocol: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, but was \"TLS\"");
        assertThat(rendered(problemsOf(ssl.replace("security.protocol: SSL, ", ""), Map.of("KAFKA_TRUST", "x"))))
                .containsExactly("log.security: sets ssl.truststore.location, ssl.truststore.password but not "
                        + "security.protocol, so Kafka would ignore them and connect in plain text; add "
                        + "security.protocol: SSL (or SASL_SSL)");
    }

    @Test
    void theReplicationOfOutpostsTopicsIsConfiguredOnceForEveryRegion() {
        OutpostConfig defaults = OutpostConfig.parse(MINIMAL, Map.<String, String>of()::get);
        assertThat(defaults.log().access().replication()).isEqualTo(KafkaAccess.Replication.DEFAULT);
        String replicated = MINIMAL.replace("log: { bootstrap-servers: \"kafka:9092\" }",
                "log: { bootstrap-servers: \"kafka:9092\", replication-factor: 3, min-insync-replicas: 2 }");
        OutpostConfig config = OutpostConfig.parse(replicated, Map.<String, String>of()::get);
        assertThat(config.regions().get("us-east").log().replication()).isEqualTo(new KafkaAccess.Replication(
                java.util.OptionalInt.of(3), java.util.OptionalInt.of(2)));
        assertThat(rendered(problemsOf(replicated.replace("min-insync-replicas: 2", "min-insync-replicas: 4"), Map.of())))
                .containsExactly("log.min-insync-replicas: is 4, more than log.replication-factor (3): no write could ever "
                        + "be acknowledged; make it at most 3");
    }
}
