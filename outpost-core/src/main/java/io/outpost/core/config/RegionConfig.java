package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.derived;
import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * One region: its store, its gateway, and whether it has a route to the monolith.
 *
 * @param log                 the Kafka cluster this region's projector and monitor use (its bootstrap and
 *                            {@code log.security})
 * @param monolithRoute       whether this region can send commands to the monolith directly
 */
public record RegionConfig(String name, Store store, KafkaAccess log, Gateway gateway,
                           boolean monolithRoute) {

    /**
     * The region's PostgreSQL store.
     *
     * @param readUser     the role gateways read the store as (SELECT only, granted by the projector); null:
     *                     {@code user}
     * @param readPassword its password
     */
    public record Store(String url, String user, String password, int poolSize, String readUser, String readPassword) {

        static final Def.Setting<String> URL = required("url", Type.JDBC_POSTGRES,
                "JDBC URL of the region's store database.");
        static final Def.Setting<String> USER = required("user", Type.NON_EMPTY, "Store database user.");
        static final Def.Setting<String> PASSWORD = optional("password", Type.TEXT, "",
                "Store database password; use ${ENV_VAR}.");
        static final Def.Setting<Integer> POOL_SIZE = optional("pool-size", Type.integer(1, 200), 10,
                "Connections each Outpost process keeps open to the store.");
        static final Def.Setting<String> READ_USER = optional("read-user", Type.ROLE, null,
                "The role gateways read the store as: the projector (as user) grants it SELECT on Outpost's tables and on "
                        + "every view table it creates, and nothing else. Default: user (gateways read as the projector's role).");
        static final Def.Setting<String> READ_PASSWORD = optional("read-password", Type.TEXT, "",
                "The read-user's password; use ${ENV_VAR}.");
        static final Def.Section DEF = Def.Section.of("store", true, "The region's PostgreSQL store.",
                URL, USER, PASSWORD, POOL_SIZE, READ_USER, READ_PASSWORD);

        public Store {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            Objects.requireNonNull(readPassword, "readPassword");
        }

        /** A store read and written as {@code user}. */
        public Store(String url, String user, String password, int poolSize) {
            this(url, user, password, poolSize, null, "");
        }

        /** The same store as the gateways read it: as {@code read-user} when there is one. */
        public Store reader() {
            return readUser == null ? this : new Store(url, readUser, readPassword, poolSize, null, "");
        }

        static Store read(Cursor c) {
            int before = c.problemCount();
            String url = c.get(URL);
            String user = c.get(USER);
            String password = c.get(PASSWORD);
            int poolSize = c.get(POOL_SIZE);
            String readUser = c.get(READ_USER);
            String readPassword = c.get(READ_PASSWORD);
            if (readUser != null && readUser.equals(user)) {
                readUser = null;
            }
            return c.failedSince(before) ? null : new Store(url, user, password, poolSize, readUser, readPassword);
        }
    }

    /**
     * The region's gateway.
     *
     * @param url     the address other regions and monitors use to reach it
     * @param port    the port it listens on
     * @param maxWait how long a query that needs a newer watermark (a token, a staleness bound)
     *                waits for this region before it is forwarded or refused
     */
    public record Gateway(String url, int port, Duration maxWait) {

        static final Def.Setting<String> URL = required("url", Type.HTTP_URL,
                "The gateway's address as other regions and the monitors reach it.");
        static final Def.Setting<Integer> PORT = derived("port", Type.integer(1, 65535),
                "the port of regions.<region>.gateway.url", "The port the gateway listens on.");
        static final Def.Setting<Duration> MAX_WAIT = optional("max-wait", Type.DURATION, Duration.ofSeconds(2),
                "How long a query with Outpost-Min-Token or Outpost-Max-Staleness waits for this region to catch up "
                        + "before it is forwarded to another region or refused (a request's Outpost-Max-Wait may ask for less).");
        static final Def.Section DEF = Def.Section.of("gateway", true, "The region's HTTP gateway.", URL, PORT, MAX_WAIT);

        public Gateway {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(maxWait, "maxWait");
        }

        static Gateway read(Cursor c) {
            int before = c.problemCount();
            String url = c.get(URL);
            Integer port = c.get(PORT);
            Duration maxWait = c.get(MAX_WAIT);
            if (port == null && url != null) {
                URI uri = URI.create(url);
                port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
            }
            return c.failedSince(before) ? null : new Gateway(url, port, maxWait);
        }
    }

    static final Def.Setting<String> LOG_BOOTSTRAP_SERVERS = derived("log-bootstrap-servers", Type.HOST_PORTS,
            "log.bootstrap-servers", "The Kafka bootstrap this region reads the change log from.");
    static final Def.Setting<Boolean> MONOLITH_ROUTE = optional("monolith-route", Type.BOOLEAN, false,
            "Whether this region reaches the monolith directly; others forward commands to one that does.");

    static final Def.MapOf DEF = new Def.MapOf("regions", "region", Type.REGION_NAME, true,
            Def.Section.of("region", true, "One region.", Store.DEF, LOG_BOOTSTRAP_SERVERS, Gateway.DEF,
                    MONOLITH_ROUTE),
            "The regions, each with its own store and gateway.");

    public RegionConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(gateway, "gateway");
    }

    static RegionConfig read(String name, Cursor c, LogConfig log) {
        int before = c.problemCount();
        Store store = Store.read(c.section(Store.DEF));
        String bootstrap = c.has(LOG_BOOTSTRAP_SERVERS.key()) ? c.get(LOG_BOOTSTRAP_SERVERS)
                : log == null ? null : log.bootstrapServers();
        KafkaAccess access = bootstrap == null || log == null ? null : log.access().at(bootstrap);
        Gateway gateway = Gateway.read(c.section(Gateway.DEF));
        boolean route = c.get(MONOLITH_ROUTE);
        if (c.failedSince(before) || access == null) {
            return null;
        }
        return new RegionConfig(name, store, access, gateway, route);
    }
}
