package io.outpost.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The whole configuration: one YAML file shared by every region. Immutable once built.
 *
 * <p>{@link #parse} substitutes {@code ${ENV}} and {@code ${ENV:-default}} in values, rejects
 * unknown keys, and reports every problem at once in a {@link ConfigException}.
 *
 * @param hash identifies the file's content (see {@link #parse}); gateways report it in health so
 *             that a region running another version of the file shows
 */
public record OutpostConfig(SourceConfig source, LogConfig log, MonolithConfig monolith,
                            Map<String, RegionConfig> regions, CommandsConfig commands,
                            Map<String, ViewDefinition> views, List<RouteConfig> routes, HealthConfig health,
                            ProjectorConfig projector, AuthConfig auth, TlsConfig tls, TracingConfig tracing, String hash) {

    static final Def.Section ROOT = Def.Section.of("", true, "The Outpost configuration.",
            SourceConfig.DEF, LogConfig.DEF, MonolithConfig.DEF, RegionConfig.DEF, CommandsConfig.DEF,
            ViewDefinition.DEF, RouteConfig.DEF, HealthConfig.DEF, ProjectorConfig.DEF, AuthConfig.DEF, TlsConfig.DEF,
            TracingConfig.DEF);

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    public OutpostConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(monolith, "monolith");
        regions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(regions));
        Objects.requireNonNull(commands, "commands");
        views = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(views));
        routes = List.copyOf(routes);
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(projector, "projector");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(hash, "hash");
    }

    /** The same with other health monitoring settings (tests that probe faster or slower). */
    public OutpostConfig withHealth(HealthConfig other) {
        return new OutpostConfig(source, log, monolith, regions, commands, views, routes, other, projector, auth, tls, tracing,
                hash);
    }

    /**
     * Parses and validates a configuration.
     *
     * @param yaml the file's text
     * @param env  looks up environment variables ({@code System::getenv} in production)
     * @throws ConfigException listing every problem, each with its key path, rule and value
     */
    public static OutpostConfig parse(String yaml, Function<String, String> env) {
        List<ConfigProblem> problems = new ArrayList<>();
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JacksonException e) {
            var location = e.getLocation();
            String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
            throw new ConfigException(List.of(new ConfigProblem("", "is not valid YAML" + where + ": "
                    + e.getOriginalMessage())));
        }
        String hash = hash(tree);
        if (tree != null) {
            tree = new EnvSubstitution(env, problems).apply(tree, "");
        }
        Cursor root = Cursor.root(tree, ROOT, problems);

        SourceConfig source = SourceConfig.read(root.section(SourceConfig.DEF));
        LogConfig log = LogConfig.read(root.section(LogConfig.DEF));
        MonolithConfig monolith = MonolithConfig.read(root.section(MonolithConfig.DEF));

        Map<String, Cursor> regionCursors = root.map(RegionConfig.DEF);
        Map<String, RegionConfig> regions = new LinkedHashMap<>();
        regionCursors.forEach((name, cursor) -> {
            RegionConfig region = RegionConfig.read(name, cursor, log);
            if (region != null) {
                regions.put(name, region);
            }
        });
        if (!regionCursors.isEmpty() && regions.size() == regionCursors.size()
                && regions.values().stream().noneMatch(RegionConfig::monolithRoute)) {
            root.problem(RegionConfig.DEF.key(), "no region has monolith-route: true, so no command could reach "
                    + "the monolith; set it on the region(s) that can reach " + (monolith == null ? "the monolith" : monolith.url()));
        }
        checkDistinctGateways(regions, root);

        List<String> defaultRoute = regions.values().stream()
                .filter(RegionConfig::monolithRoute).map(RegionConfig::name).toList();
        CommandsConfig commands = CommandsConfig.read(root.section(CommandsConfig.DEF), regionCursors.keySet(),
                defaultRoute);

        List<String> captured = source == null ? List.of() : source.tables();
        Map<String, ViewDefinition> views = new LinkedHashMap<>();
        Map<String, Cursor> viewCursors = root.map(ViewDefinition.DEF);
        viewCursors.forEach((name, cursor) -> {
            ViewDefinition view = ViewDefinition.read(name, cursor, captured);
            if (view != null) {
                views.put(name, view);
            }
        });

        Set<String> viewNames = viewCursors.keySet();
        List<RouteConfig> routes = new ArrayList<>();
        List<Cursor> routeCursors = root.list(RouteConfig.DEF);
        Map<String, Integer> seenPaths = new LinkedHashMap<>();
        for (int i = 0; i < routeCursors.size(); i++) {
            RouteConfig route = RouteConfig.read(routeCursors.get(i), viewNames);
            if (route != null) {
                Integer first = seenPaths.putIfAbsent(route.path(), i);
                if (first != null) {
                    routeCursors.get(i).problem(RouteConfig.PATH.key(), "repeats the path of routes[" + first + "]: \""
                            + route.path() + "\"");
                }
                routes.add(route);
            }
        }

        HealthConfig health = HealthConfig.read(root.section(HealthConfig.DEF));
        ProjectorConfig projector = ProjectorConfig.read(root.section(ProjectorConfig.DEF));
        AuthConfig auth = AuthConfig.read(root.section(AuthConfig.DEF));
        if (auth != null) {
            checkReadPolicies(auth, views, root);
        }
        TlsConfig tls = TlsConfig.read(root.section(TlsConfig.DEF), regions.values());
        TracingConfig tracing = TracingConfig.read(root.section(TracingConfig.DEF));

        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new OutpostConfig(source, log, monolith, regions, commands, views, routes, health, projector, auth, tls, tracing,
                hash);
    }

    /**
     * The first 16 hex digits of the SHA-256 of the file's YAML tree as written, before {@code ${ENV}}
     * substitution: every region running the same file reports the same hash whatever its
     * environment (its own addresses and secrets), and comments or layout do not count.
     */
    private static String hash(JsonNode tree) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(
                    String.valueOf(tree).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * With authentication on, every view says who may read it (deny by default would otherwise hide a
     * forgotten view's documents from everyone without a word); without it, rules would be a promise
     * nothing keeps.
     */
    private static void checkReadPolicies(AuthConfig auth, Map<String, ViewDefinition> views, Cursor root) {
        for (ViewDefinition view : views.values()) {
            String key = ViewDefinition.DEF.key() + "." + view.name() + "." + ViewDefinition.READ.key();
            if (auth.enabled() && view.read() == null) {
                root.problem(key, "is required when auth.mode is " + auth.mode().name().toLowerCase(java.util.Locale.ROOT)
                        + ": write read: public, or the rules that say who sees which rows, e.g. "
                        + "[{ scope: \"" + view.name() + ":read\" }]");
            } else if (!auth.enabled() && view.read() != null && !view.read().isPublic()) {
                root.problem(key, "has rules, but auth.mode is none, so nothing would enforce them and everyone would "
                        + "read every row; set auth.mode: jwt, or remove the rules");
            }
        }
    }

    private static void checkDistinctGateways(Map<String, RegionConfig> regions, Cursor root) {
        Map<String, String> byUrl = new LinkedHashMap<>();
        for (RegionConfig region : regions.values()) {
            String other = byUrl.putIfAbsent(region.gateway().url(), region.name());
            if (other != null) {
                root.problem(RegionConfig.DEF.key() + "." + region.name() + ".gateway.url",
                        "is the same as regions." + other + ".gateway.url (\"" + region.gateway().url()
                                + "\"); every region needs its own gateway");
            }
        }
    }

    /** The change log topic of this configuration's source: {@code outpost.<source>.changes}. */
    public String changesTopic() {
        return log.topicPrefix() + "." + source.name() + ".changes";
    }

    /** The reference of every setting, generated from their definitions: what {@code outpost config-reference} prints. */
    public static String reference() {
        return ConfigReference.render(ROOT);
    }
}
