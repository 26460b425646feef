package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.derived;
import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The monolith's database, whose committed transactions Outpost captures.
 *
 * @param name              names the change log topic {@code <log.topic-prefix>.<name>.changes}
 * @param tables            captured tables, each {@code schema.table}
 * @param slot              the logical replication slot capture owns
 * @param publication       the publication over {@code tables}
 * @param heartbeatInterval how often a heartbeat moves the watermark while the source is idle
 * @param gatewayUser       the role the gateways of regions with a route to the monolith write fences and the
 *                          idempotency ledger as
 * @param gatewayPassword   its password
 */
public record SourceConfig(String name, SourceKind kind, String url, String user, String password,
                           List<String> tables, String slot, String publication, Duration heartbeatInterval,
                           String gatewayUser, String gatewayPassword) {

    static final Def.Setting<String> NAME = required("name", Type.NAME,
            "The source's name; it names the change log topic (<log.topic-prefix>.<name>.changes).");
    static final Def.Setting<SourceKind> KIND = optional("kind", SourceKind.TYPE, SourceKind.POSTGRESQL,
            "The kind of database.");
    static final Def.Setting<String> URL = required("url", Type.JDBC_POSTGRES,
            "JDBC URL of the monolith's database; it must run with wal_level=logical.");
    static final Def.Setting<String> USER = required("user", Type.NON_EMPTY,
            "Database user with the REPLICATION attribute and SELECT on the captured tables.");
    static final Def.Setting<String> PASSWORD = optional("password", Type.TEXT, "",
            "Password of that user; use ${ENV_VAR} rather than writing it in the file.");
    static final Def.Setting<List<String>> TABLES = required("tables", Type.listOf(Type.TABLE),
            "The tables to capture, as schema.table (a bare name means public.<name>).");
    static final Def.Setting<String> SLOT = derived("slot", Type.NAME, "outpost_<source.name>",
            "The logical replication slot that capture creates and owns.");
    static final Def.Setting<String> PUBLICATION = derived("publication", Type.NAME, "outpost_<source.name>",
            "The publication over the captured tables that capture creates and owns.");
    static final Def.Setting<Duration> HEARTBEAT_INTERVAL = optional("heartbeat-interval", Type.DURATION,
            Duration.ofSeconds(1), "How often a heartbeat is written to the source's WAL, so that watermarks "
                    + "advance while it is idle and the slot never pins WAL.");

    static final Def.Setting<String> GATEWAY_USER = derived("gateway-user", Type.ROLE,
            "source.user", "The role the gateways of regions with a route to the monolith use in this database: they "
                    + "write fences and the idempotency ledger, nothing else (outpost init-source grants just that).");
    static final Def.Setting<String> GATEWAY_PASSWORD = derived("gateway-password", Type.TEXT, "source.password",
            "Password of the gateway-user; use ${ENV_VAR}.");

    static final Def.Section DEF = Def.Section.of("source", true,
            "The monolith's database, whose committed transactions are captured.",
            NAME, KIND, URL, USER, PASSWORD, TABLES, SLOT, PUBLICATION, HEARTBEAT_INTERVAL, GATEWAY_USER, GATEWAY_PASSWORD);

    public SourceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        tables = List.copyOf(tables);
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(publication, "publication");
        Objects.requireNonNull(gatewayUser, "gatewayUser");
        Objects.requireNonNull(gatewayPassword, "gatewayPassword");
        if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive, but was " + heartbeatInterval);
        }
    }

    static SourceConfig read(Cursor c) {
        int before = c.problemCount();
        String name = c.get(NAME);
        SourceKind kind = c.get(KIND);
        String url = c.get(URL);
        String user = c.get(USER);
        String password = c.get(PASSWORD);
        List<String> tables = c.get(TABLES);
        if (tables != null && tables.isEmpty()) {
            c.problem(TABLES.key(), "must name at least one table to capture");
        }
        List<String> qualified = tables == null ? List.of() : tables.stream().map(SourceConfig::qualify).toList();
        if (qualified.stream().distinct().count() < qualified.size()) {
            c.problem(TABLES.key(), "names a table twice: " + qualified);
        }
        String slot = c.has(SLOT.key()) ? c.get(SLOT) : "outpost_" + name;
        String publication = c.has(PUBLICATION.key()) ? c.get(PUBLICATION) : "outpost_" + name;
        Duration heartbeat = c.get(HEARTBEAT_INTERVAL);
        if (heartbeat.isZero()) {
            c.problem(HEARTBEAT_INTERVAL.key(), "must be longer than 0, but was 0");
        }
        String gatewayUser = c.has(GATEWAY_USER.key()) ? c.get(GATEWAY_USER) : user;
        String gatewayPassword = c.has(GATEWAY_PASSWORD.key()) ? c.get(GATEWAY_PASSWORD) : password;
        if (c.failedSince(before)) {
            return null;
        }
        return new SourceConfig(name, kind, url, user, password, qualified, slot, publication, heartbeat, gatewayUser,
                gatewayPassword);
    }

    /** {@code orders} → {@code public.orders}; {@code sales.orders} stays. */
    public static String qualify(String table) {
        return table.contains(".") ? table : "public." + table;
    }
}
