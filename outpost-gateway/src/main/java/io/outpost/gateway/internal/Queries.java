package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.javalin.http.Context;
import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewReads;
import io.outpost.store.WatermarkWatcher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Queries answered from the region's store: a document by key, a filtered and sorted page.
 *
 * <p>Consistency: a request may require a watermark ({@code Outpost-Min-Token}: at or past the
 * token) or a freshness ({@code Outpost-Max-Staleness}: the source commit time of the watermark at
 * most that many ms ago). The gateway waits for it on the projector's NOTIFY (through
 * {@link WatermarkWatcher}) up to {@code Outpost-Max-Wait} or the region's {@code max-wait}, then
 * reads — and checks the requirement against the watermark the read itself saw, which is the
 * guarantee. When it is not met, the request is forwarded to the other regions in turn (once: a
 * forwarded request is not forwarded again, and does not wait), and when none has it the answer is
 * 503 with the region's watermark and {@code Retry-After}. Never an older answer.
 *
 * <p>Documents by key are cached with the watermark they were read at, and served from the cache
 * only while the region's watermark has not moved past it: a cached answer is exactly what a read
 * would return now, watermark included. The watermark moves with every applied transaction and at
 * least with every source heartbeat (1 s), so an entry lives at most that long.
 */
public final class Queries {

    public static final String MIN_TOKEN = "Outpost-Min-Token";
    public static final String MAX_STALENESS = "Outpost-Max-Staleness";
    public static final String MAX_WAIT = "Outpost-Max-Wait";
    public static final String WATERMARK = "Outpost-Watermark";
    public static final String STALENESS = "Outpost-Staleness-Ms";
    public static final String REGION = "Outpost-Region";
    public static final String HOPS = "Outpost-Hops";

    /** Documents per page when the request does not say; the most it may ask for. */
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;
    private static final Set<String> RESERVED = Set.of("sort", "limit", "after", "q");
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Another region's gateway. */
    public record Peer(String region, URI url) {
    }

    private final String region;
    private final String source;
    private final RegionStore store;
    private final ViewCatalog catalog;
    private final WatermarkWatcher watcher;
    private final Duration maxWait;
    private final List<Peer> peers;
    private final HttpClient http;
    private final InstantSource clock;
    /** Documents by view and key, each with the watermark it was read at: see {@link #cached}. */
    private final java.util.concurrent.ConcurrentHashMap<String, ViewReads.One> documents = new java.util.concurrent.ConcurrentHashMap<>();
    /** The most documents kept; beyond it the cache starts over. */
    private static final int MAX_CACHED = 100_000;

    public Queries(String region, String source, RegionStore store, ViewCatalog catalog, WatermarkWatcher watcher,
                   Duration maxWait, List<Peer> peers, HttpClient http, InstantSource clock) {
        this.region = region;
        this.source = source;
        this.store = store;
        this.catalog = catalog;
        this.watcher = watcher;
        this.maxWait = maxWait;
        this.peers = List.copyOf(peers);
        this.http = http;
        this.clock = clock;
    }

    /** What a request requires of the watermark. */
    private record Requirement(ConsistencyToken token, Long maxStalenessMs, Duration patience) {

        boolean any() {
            return token != null || maxStalenessMs != null;
        }

        boolean metBy(ViewReads.Snapshot snapshot, Instant now) {
            if (token != null && !WatermarkWatcher.reached(snapshot, token.position())) {
                return false;
            }
            Duration staleness = snapshot.staleness(now);
            return maxStalenessMs == null || staleness != null && staleness.toMillis() <= maxStalenessMs;
        }
    }

    private Requirement requirement(Context ctx) {
        ConsistencyToken token = null;
        String tokenText = ctx.header(MIN_TOKEN);
        if (tokenText != null) {
            try {
                token = ConsistencyToken.decode(tokenText);
            } catch (IllegalArgumentException e) {
                throw Problem.badRequest("invalid-token", MIN_TOKEN + ": " + e.getMessage());
            }
            if (!token.source().equals(source)) {
                throw Problem.badRequest("invalid-token", MIN_TOKEN + " is a token of source \"" + token.source()
                        + "\", but this gateway serves source \"" + source + "\"");
            }
        }
        Long staleness = milliseconds(ctx, MAX_STALENESS);
        Long wait = milliseconds(ctx, MAX_WAIT);
        Duration bound = wait == null ? maxWait : Duration.ofMillis(Math.min(wait, LONGEST_WAIT.toMillis()));
        return new Requirement(token, staleness, forwarded(ctx) ? Duration.ZERO : bound);
    }

    private static Long milliseconds(Context ctx, String header) {
        String text = ctx.header(header);
        if (text == null) {
            return null;
        }
        try {
            long value = Long.parseLong(text.strip());
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw Problem.badRequest("invalid-header", header + " must be a whole number of milliseconds (0 or more), but was \""
                + text + "\"");
    }

    private static boolean forwarded(Context ctx) {
        return ctx.header(HOPS) != null;
    }

    /** {@code GET …/views/{view}/{key}}. */
    public void byKey(Context ctx, String viewName, String key) throws SQLException, InterruptedException {
        Requirement requirement = requirement(ctx);
        ViewCatalog.View view = catalog.get(viewName);
        await(requirement);
        String cacheKey = viewName + '\u0000' + key;
        ViewReads.One one = cached(cacheKey);
        if (one == null || !requirement.metBy(one.snapshot(), clock.instant())) {
            try (Connection c = store.connect()) {
                one = ViewReads.byKey(c, source, viewName, view.keyType(), key);
            } catch (SQLException e) {
                throw dataProblem(e, "the key \"" + key + "\" is not a valid " + view.keyType() + ", the type of view "
                        + viewName + "'s key");
            }
            remember(cacheKey, one);
        }
        if (!requirement.metBy(one.snapshot(), clock.instant())) {
            elsewhere(ctx, requirement, one.snapshot());
            return;
        }
        headers(ctx, one.snapshot());
        if (one.doc() == null) {
            throw new Problem(404, "not-found", "No such document", "view " + viewName + " has no document with key \""
                    + key + "\" in region " + region + " at its watermark");
        }
        ctx.contentType("application/json").result(one.doc());
    }

    /** {@code GET …/views/{view}?field=value&sort=…&limit=…&after=…&q=…}. */
    public void list(Context ctx, String viewName) throws SQLException, InterruptedException {
        Requirement requirement = requirement(ctx);
        ViewCatalog.View view = catalog.get(viewName);
        ViewReads.ListQuery query = listQuery(ctx, view);
        await(requirement);
        ViewReads.Page page;
        try (Connection c = store.connect()) {
            page = ViewReads.list(c, source, query);
        } catch (SQLException e) {
            throw dataProblem(e, "a value does not fit the type of what it is compared with");
        }
        if (!requirement.metBy(page.snapshot(), clock.instant())) {
            elsewhere(ctx, requirement, page.snapshot());
            return;
        }
        headers(ctx, page.snapshot());
        StringBuilder body = new StringBuilder("{\"items\":[");
        for (int i = 0; i < page.items().size(); i++) {
            body.append(i == 0 ? "" : ",").append(page.items().get(i).doc());
        }
        body.append("],\"next\":");
        if (page.more()) {
            ViewReads.Item last = page.items().getLast();
            body.append('"').append(cursor(viewName, sortSpec(query), last.sortValue(), last.key())).append('"');
        } else {
            body.append("null");
        }
        ctx.contentType("application/json").result(body.append('}').toString());
    }

    /**
     * A document read earlier, if it is still what the store shows: read at a watermark at or past
     * the one the watcher knows now (the region has not moved since). Only while the watcher is
     * connected — otherwise the region may have moved without the gateway knowing.
     */
    private ViewReads.One cached(String cacheKey) {
        ViewReads.One one = documents.get(cacheKey);
        if (one == null || !watcher.connected()) {
            return null;
        }
        ViewReads.Snapshot now = watcher.current();
        return now.position() != null && one.snapshot().position() != null
                && !now.position().isAfter(one.snapshot().position()) ? one : null;
    }

    private void remember(String cacheKey, ViewReads.One one) {
        if (one.snapshot().position() == null) {
            return;
        }
        if (documents.size() >= MAX_CACHED) {
            documents.clear(); // crude, but bounded; entries live until the watermark moves anyway
        }
        documents.put(cacheKey, one);
    }

    private void await(Requirement requirement) throws InterruptedException {
        if (requirement.any() && !requirement.patience().isZero()) {
            watcher.await(snapshot -> requirement.metBy(snapshot, clock.instant()), requirement.patience());
        }
    }

    private void headers(Context ctx, ViewReads.Snapshot snapshot) {
        ctx.header(REGION, region);
        if (snapshot.position() != null) {
            ctx.header(WATERMARK, new ConsistencyToken(source, snapshot.position()).encode());
        }
        Duration staleness = snapshot.staleness(clock.instant());
        if (staleness != null) {
            ctx.header(STALENESS, Long.toString(staleness.toMillis()));
        }
    }

    private static Problem dataProblem(SQLException e, String detail) throws SQLException {
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
            return Problem.badRequest("invalid-value", detail);
        }
        throw e;
    }

    /** The requirement is not met here: another region's answer, or 503. */
    private void elsewhere(Context ctx, Requirement requirement, ViewReads.Snapshot here) {
        if (!forwarded(ctx)) {
            for (Peer peer : peers) {
                HttpResponse<byte[]> answer = ask(peer, ctx, requirement);
                if (answer != null && (answer.statusCode() == 200 || answer.statusCode() == 404)) {
                    ctx.status(answer.statusCode());
                    for (String name : List.of("Content-Type", REGION, WATERMARK, STALENESS)) {
                        answer.headers().firstValue(name).ifPresent(value -> ctx.header(name, value));
                    }
                    ctx.result(answer.body());
                    return;
                }
            }
        }
        Problem problem = new Problem(503, "not-caught-up", "This region has not caught up",
                "region " + region + (here.position() == null ? " has applied nothing yet"
                        : " is at " + here.position() + (here.commitTime() == null ? "" : " (committed at the source "
                        + here.commitTime() + ")"))
                        + (requirement.token() != null ? "; the request needs " + requirement.token().position() : "")
                        + (requirement.maxStalenessMs() != null ? "; the request allows " + requirement.maxStalenessMs()
                        + " ms of staleness" : "")
                        + (forwarded(ctx) || peers.isEmpty() ? "" : "; no other region had it either")
                        + ". Try again shortly").header("Retry-After", "1");
        if (here.position() != null) {
            problem.member("watermark", new ConsistencyToken(source, here.position()).encode());
        }
        throw problem;
    }

    private HttpResponse<byte[]> ask(Peer peer, Context ctx, Requirement requirement) {
        String path = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        HttpRequest.Builder request = HttpRequest.newBuilder(peer.url().resolve(path)).GET()
                .timeout(maxWait.isZero() ? Duration.ofSeconds(1) : maxWait)
                .header(HOPS, "1").header(MAX_WAIT, "0");
        if (requirement.token() != null) {
            request.header(MIN_TOKEN, requirement.token().encode());
        }
        if (requirement.maxStalenessMs() != null) {
            request.header(MAX_STALENESS, requirement.maxStalenessMs().toString());
        }
        String trace = ctx.header("traceparent");
        if (trace != null) {
            request.header("traceparent", trace);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return null; // that region cannot answer: the next one may
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OutpostException.Retriable("interrupted while asking region " + peer.region());
        }
    }

    // ---- list parameters ----------------------------------------------------------------------

    private ViewReads.ListQuery listQuery(Context ctx, ViewCatalog.View view) {
        List<String> fields = view.definition().fields();
        Map<String, List<String>> parameters = ctx.queryParamMap();
        List<ViewReads.Filter> filters = new ArrayList<>();
        for (var entry : parameters.entrySet()) {
            String name = entry.getKey();
            if (RESERVED.contains(name)) {
                continue;
            }
            if (fields.contains(name)) {
                List<String> values = new ArrayList<>();
                entry.getValue().forEach(value -> values.addAll(candidates(value)));
                filters.add(new ViewReads.Filter(name, ViewReads.Operator.EQ, values));
                continue;
            }
            int dot = name.lastIndexOf('.');
            ViewReads.Operator operator = dot < 0 ? null : switch (name.substring(dot + 1)) {
                case "gt" -> ViewReads.Operator.GT;
                case "gte" -> ViewReads.Operator.GTE;
                case "lt" -> ViewReads.Operator.LT;
                case "lte" -> ViewReads.Operator.LTE;
                default -> null;
            };
            if (operator == null || !fields.contains(name.substring(0, dot))) {
                throw Problem.badRequest("unknown-filter", "\"" + name + "\" is not a filter of view " + view.definition().name()
                        + ": filter on its fields " + fields + " as field=value (repeat for any of several values) or "
                        + "field.gt / .gte / .lt / .lte=value; other parameters are " + RESERVED.stream().sorted().toList());
            }
            if (entry.getValue().size() != 1) {
                throw Problem.badRequest("invalid-filter", "\"" + name + "\" takes one value, but has " + entry.getValue().size());
            }
            filters.add(new ViewReads.Filter(name.substring(0, dot), operator, List.of(rangeValue(entry.getValue().getFirst()))));
        }
        String sort = ctx.queryParam("sort");
        String sortField = null;
        boolean descending = false;
        if (sort != null) {
            descending = sort.startsWith("-");
            String field = descending ? sort.substring(1) : sort;
            if (!field.equals("key")) {
                if (!fields.contains(field)) {
                    throw Problem.badRequest("unknown-sort", "cannot sort view " + view.definition().name() + " by \"" + field
                            + "\": sort by key or one of its fields " + fields + ", with a leading - for descending");
                }
                sortField = field;
            }
        }
        int limit = DEFAULT_LIMIT;
        String limitText = ctx.queryParam("limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw Problem.badRequest("invalid-limit", "limit must be a number from 1 to " + MAX_LIMIT + ", but was \""
                        + limitText + "\"");
            }
        }
        String text = ctx.queryParam("q");
        if (text != null && view.definition().search().isEmpty()) {
            throw Problem.badRequest("no-search", "view " + view.definition().name() + " declares no search fields, so q= "
                    + "cannot be used on it");
        }
        if (text != null && text.isBlank()) {
            text = null;
        }
        ViewReads.ListQuery query = new ViewReads.ListQuery(view.definition().name(), view.keyType(), filters, sortField,
                descending, null, text, limit);
        String after = ctx.queryParam("after");
        if (after != null) {
            query = new ViewReads.ListQuery(query.view(), query.keyType(), filters, sortField, descending,
                    decodeCursor(after, query.view(), sortSpec(query)), text, limit);
        }
        return query;
    }

    private static final java.util.regex.Pattern JSON_NUMBER =
            java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** A request value as the JSON values it may stand for: always a string; a number, boolean or null too if it reads as one. */
    static List<String> candidates(String value) {
        String scalar = scalar(value);
        return scalar == null ? List.of(jsonString(value)) : List.of(jsonString(value), scalar);
    }

    static String rangeValue(String value) {
        String scalar = scalar(value);
        return scalar != null && JSON_NUMBER.matcher(value).matches() ? scalar : jsonString(value);
    }

    /** The value as a JSON number, boolean or null literal, if it is one; otherwise null. */
    private static String scalar(String value) {
        return switch (value) {
            case "true", "false", "null" -> value;
            default -> value.length() <= 100 && JSON_NUMBER.matcher(value).matches() ? value : null;
        };
    }

    /** The value as a JSON string literal. */
    static String jsonString(String value) {
        StringBuilder json = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        json.append(String.format("\\u%04x", (int) ch));
                    } else {
                        json.append(ch);
                    }
                }
            }
        }
        return json.append('"').toString();
    }

    private static String sortSpec(ViewReads.ListQuery query) {
        return (query.descending() ? "-" : "") + (query.sortField() == null ? "key" : query.sortField());
    }

    /** An opaque cursor: where the next page starts, for this view and order only. */
    static String cursor(String view, String sortSpec, String sortValue, String key) {
        String json = JsonNodeFactory.instance.arrayNode().add(1).add(view).add(sortSpec).add(sortValue).add(key).toString();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static ViewReads.After decodeCursor(String cursor, String view, String sortSpec) {
        try {
            JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
            if (node != null && node.isArray() && node.size() == 5 && node.get(0).asInt() == 1 && node.get(3).isTextual()
                    && node.get(4).isTextual()) {
                if (!node.get(1).asText().equals(view) || !node.get(2).asText().equals(sortSpec)) {
                    throw Problem.badRequest("invalid-cursor", "the cursor belongs to a listing of view " + node.get(1).asText()
                            + " sorted by " + node.get(2).asText() + ", not of view " + view + " sorted by " + sortSpec);
                }
                JSON.readTree(node.get(3).asText()); // the sort value is JSON
                return new ViewReads.After(node.get(3).asText(), node.get(4).asText());
            }
        } catch (IOException | IllegalArgumentException e) {
            // below
        }
        throw Problem.badRequest("invalid-cursor", "after= must be the \"next\" value of the previous page, unchanged");
    }
}
