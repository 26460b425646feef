package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.core.config.AuthConfig;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RouteConfig;
import io.outpost.core.config.ViewDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI 3.1 description of one gateway, built from what it serves: Outpost's own routes
 * (health, readiness, metrics, status, regions, the canary, views by key and as lists, the
 * dashboard's JSON), the drop-in routes of the configuration, the consistency headers, and every
 * {@link ProblemType}. Commands — every other path and method, sent home to the monolith — cannot be
 * listed path by path (they are the monolith's); the description says how they travel, and
 * {@code x-outpost-commands} names their headers.
 */
public final class OpenApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROBLEM = "#/components/schemas/Problem";

    /** A route the gateway serves: a method and a path template ({@code /outpost/v1/views/{view}}). */
    public record Route(String method, String path, String summary, Kind kind) {
    }

    /** What a route answers, for its parameters and responses. */
    public enum Kind {
        /** Outpost's own JSON (health, status, regions, canary). */
        OWN,
        /** Outpost's own JSON, for the admin scope or the service token. */
        ADMIN,
        /** Plain text (metrics). */
        ADMIN_TEXT,
        /** A view's document by key: consistency headers in and out. */
        DOCUMENT,
        /** A page of a view's documents: consistency headers, filters, sort, limit, cursor. */
        LIST,
        /** A page of the gateway's own static files. */
        PAGE
    }

    private OpenApi() {
    }

    /**
     * The description of a gateway of {@code region} serving {@code routes} (in the order it
     * registered them), as JSON text.
     */
    public static String describe(OutpostConfig config, String region, String url, String version, List<Route> routes) {
        ObjectNode root = JSON.createObjectNode();
        root.put("openapi", "3.1.0");
        ObjectNode info = root.putObject("info");
        info.put("title", "Outpost gateway of region " + region);
        info.put("version", version);
        info.put("description", "Reads are answered from region " + region + "'s store, at its watermark; every query "
                + "answer says which (Outpost-Watermark, Outpost-Staleness-Ms) and a query may ask for read-your-writes "
                + "(Outpost-Min-Token) or bounded staleness (Outpost-Max-Staleness). Every other method and path is a "
                + "command: sent to the monolith (through the command route " + config.commands().route() + "), its answer "
                + "passed through with Outpost-Token (the fence after it) and Outpost-Route; send an Idempotency-Key to "
                + "make retries safe across regions. Problems are application/problem+json, type urn:outpost:problem:<name>.");
        root.putArray("servers").addObject().put("url", url);
        ObjectNode commands = root.putObject("x-outpost-commands");
        commands.put("paths", "every path and method not listed here");
        commands.putArray("requestHeaders").add(Headers.IDEMPOTENCY_KEY);
        ArrayNode answered = commands.putArray("responseHeaders");
        answered.add(Headers.TOKEN).add(Headers.ROUTE).add(Headers.REPLAY);

        ObjectNode paths = root.putObject("paths");
        for (Route route : routes) {
            ObjectNode item = paths.has(route.path()) ? (ObjectNode) paths.get(route.path()) : paths.putObject(route.path());
            item.set(route.method().toLowerCase(java.util.Locale.ROOT), operation(route, config));
        }
        root.set("components", components(config));
        if (config.auth().mode() != AuthConfig.Mode.NONE) {
            ArrayNode security = root.putArray("security");
            security.addObject().putArray(config.auth().mode() == AuthConfig.Mode.JWT ? "bearer" : "monolithSession");
            security.addObject().putArray("serviceToken");
        }
        return root.toPrettyString();
    }

    private static ObjectNode operation(Route route, OutpostConfig config) {
        ObjectNode operation = JSON.createObjectNode();
        operation.put("summary", route.summary());
        operation.put("operationId", route.method().toLowerCase(java.util.Locale.ROOT)
                + route.path().replaceAll("[^A-Za-z0-9]+", "_"));
        ArrayNode parameters = operation.putArray("parameters");
        for (String name : pathParameters(route.path())) {
            ObjectNode p = parameters.addObject();
            p.put("name", name).put("in", "path").put("required", true);
            ObjectNode schema = p.putObject("schema").put("type", "string");
            if (name.equals("view")) {
                ArrayNode views = schema.putArray("enum");
                config.views().keySet().forEach(views::add);
            }
        }
        boolean query = route.kind() == Kind.DOCUMENT || route.kind() == Kind.LIST;
        if (query) {
            for (String header : List.of("MinToken", "MaxStaleness", "MaxWait")) {
                parameters.addObject().put("$ref", "#/components/parameters/" + header);
            }
        }
        if (route.kind() == Kind.LIST) {
            for (String parameter : List.of("limit", "after", "sort", "q")) {
                parameters.addObject().put("$ref", "#/components/parameters/" + parameter);
            }
            parameters.addObject().put("$ref", "#/components/parameters/filters");
        }
        if (parameters.isEmpty()) {
            operation.remove("parameters");
        }
        ObjectNode responses = operation.putObject("responses");
        ObjectNode ok = responses.putObject("200");
        switch (route.kind()) {
            case DOCUMENT -> {
                ok.put("description", "The document, as stored");
                ok.putObject("content").putObject("application/json").putObject("schema").put("$ref",
                        "#/components/schemas/Document");
            }
            case LIST -> {
                ok.put("description", "A page of documents; next is the cursor of the next page (after=), null on the last");
                ok.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Page");
            }
            case ADMIN_TEXT -> {
                ok.put("description", "Every metric of the process, Prometheus' text format");
                ok.putObject("content").putObject("text/plain").putObject("schema").put("type", "string");
            }
            case PAGE -> {
                ok.put("description", "The page");
                ok.putObject("content").putObject("text/html").putObject("schema").put("type", "string");
            }
            default -> {
                ok.put("description", "OK");
                ok.putObject("content").putObject("application/json").putObject("schema").put("type", "object");
            }
        }
        if (query) {
            ObjectNode headers = ok.putObject("headers");
            for (String header : List.of(Headers.REGION, Headers.WATERMARK, Headers.STALENESS)) {
                headers.putObject(header).put("$ref", "#/components/headers/" + header);
            }
        }
        for (ProblemType type : problemsOf(route.kind(), config)) {
            String status = Integer.toString(type.status());
            ObjectNode response = responses.has(status) ? (ObjectNode) responses.get(status) : problemResponse(responses, status);
            ArrayNode types = (ArrayNode) response.get("x-problem-types");
            types.add(Problem.TYPE_BASE + type.slug());
        }
        return operation;
    }

    private static ObjectNode problemResponse(ObjectNode responses, String status) {
        ObjectNode response = responses.putObject(status);
        response.put("description", "A problem (see x-problem-types)");
        response.putObject("content").putObject(Problem.CONTENT_TYPE).putObject("schema").put("$ref", PROBLEM);
        response.putArray("x-problem-types");
        return response;
    }

    /** The problems a route of {@code kind} can answer. */
    private static List<ProblemType> problemsOf(Kind kind, OutpostConfig config) {
        List<ProblemType> types = new ArrayList<>();
        boolean auth = config.auth().mode() != AuthConfig.Mode.NONE;
        switch (kind) {
            case DOCUMENT, LIST -> {
                types.addAll(List.of(ProblemType.INVALID_TOKEN, ProblemType.INVALID_HEADER, ProblemType.UNKNOWN_VIEW,
                        ProblemType.NOT_CAUGHT_UP, ProblemType.VIEW_NOT_READY, ProblemType.STORE_UNAVAILABLE));
                if (kind == Kind.DOCUMENT) {
                    types.add(ProblemType.NOT_FOUND);
                } else {
                    types.addAll(List.of(ProblemType.UNKNOWN_FILTER, ProblemType.INVALID_FILTER, ProblemType.UNKNOWN_SORT,
                            ProblemType.INVALID_LIMIT, ProblemType.INVALID_CURSOR, ProblemType.INVALID_VALUE,
                            ProblemType.NO_SEARCH));
                }
                if (auth) {
                    types.addAll(List.of(ProblemType.UNAUTHENTICATED, ProblemType.INSUFFICIENT_SCOPE, ProblemType.AUTH_UNAVAILABLE));
                }
            }
            case ADMIN, ADMIN_TEXT -> {
                if (auth) {
                    types.addAll(List.of(ProblemType.UNAUTHENTICATED, ProblemType.INSUFFICIENT_SCOPE, ProblemType.AUTH_UNAVAILABLE));
                }
            }
            default -> { }
        }
        types.add(ProblemType.INTERNAL_ERROR);
        return types;
    }

    private static List<String> pathParameters(String path) {
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static ObjectNode components(OutpostConfig config) {
        ObjectNode components = JSON.createObjectNode();
        ObjectNode schemas = components.putObject("schemas");
        ObjectNode problem = schemas.putObject("Problem");
        problem.put("type", "object");
        problem.put("description", "RFC 9457 problem details; every type Outpost answers is one of the listed");
        ObjectNode properties = problem.putObject("properties");
        ArrayNode kinds = properties.putObject("type").putArray("oneOf");
        for (ProblemType type : ProblemType.values()) {
            if (type == ProblemType.HTTP) {
                for (int status : ProblemType.HTTP_STATUSES) {
                    kinds.addObject().put("const", Problem.TYPE_BASE + "http-" + status)
                            .put("title", type.title()).put("description", "HTTP " + status + ": " + type.description());
                }
            } else {
                kinds.addObject().put("const", Problem.TYPE_BASE + type.slug()).put("title", type.title())
                        .put("description", "HTTP " + type.status() + ": " + type.description());
            }
        }
        properties.putObject("title").put("type", "string");
        properties.putObject("status").put("type", "integer");
        properties.putObject("detail").put("type", "string").put("description", "what failed, for this request, and what to do");
        properties.putObject("instance").put("type", "string");
        problem.putArray("required").add("type").add("title").add("status").add("detail");
        schemas.putObject("Document").put("type", "object").put("description",
                "A view's document, as its SQL made it (the views: " + viewNames(config) + ")");
        ObjectNode page = schemas.putObject("Page").put("type", "object");
        ObjectNode pageProperties = page.putObject("properties");
        pageProperties.putObject("items").put("type", "array").putObject("items").put("$ref", "#/components/schemas/Document");
        pageProperties.putObject("next").putArray("type").add("string").add("null");

        ObjectNode parameters = components.putObject("parameters");
        header(parameters, "MinToken", Headers.MIN_TOKEN, "Read your writes: answer only at or past this token (an "
                + "Outpost-Token or Outpost-Watermark seen before)", "string");
        header(parameters, "MaxStaleness", Headers.MAX_STALENESS, "Answer only from a watermark committed at most this many "
                + "milliseconds ago", "integer");
        header(parameters, "MaxWait", Headers.MAX_WAIT, "How long to wait for the region to meet the above, milliseconds "
                + "(at most 30,000)", "integer");
        query(parameters, "limit", "Documents per page, 1 to " + ListParameters.MAX_LIMIT + " (default 20)", "integer");
        query(parameters, "after", "The next value of the previous page, unchanged", "string");
        query(parameters, "sort", "A declared field or the key, - first for descending", "string");
        query(parameters, "q", "Full-text search over the view's search fields", "string");
        ObjectNode filters = parameters.putObject("filters");
        filters.put("name", "filters").put("in", "query").put("style", "form").put("explode", true);
        filters.put("description", "field=value (repeat for any of several values) and field.gt|gte|lt|lte=value on the "
                + "view's declared fields: " + declaredFields(config));
        filters.putObject("schema").put("type", "object").putObject("additionalProperties").put("type", "string");

        ObjectNode headers = components.putObject("headers");
        headers.putObject(Headers.REGION).put("description", "The region that answered").putObject("schema").put("type", "string");
        headers.putObject(Headers.WATERMARK).put("description", "The watermark the answer was read at, as a token (send it "
                + "back as Outpost-Min-Token for monotonic reads)").putObject("schema").put("type", "string");
        headers.putObject(Headers.STALENESS).put("description", "Now minus the source commit time of that watermark, ms")
                .putObject("schema").put("type", "integer");

        ObjectNode security = components.putObject("securitySchemes");
        security.putObject("bearer").put("type", "http").put("scheme", "bearer").put("bearerFormat", "JWT");
        security.putObject("monolithSession").put("type", "apiKey").put("in", "cookie").put("name", "session")
                .put("description", "auth.mode forward: the gateway asks the monolith who the caller is, with the request's "
                        + "cookie or Authorization header");
        security.putObject("serviceToken").put("type", "apiKey").put("in", "header").put("name", Headers.SERVICE_TOKEN)
                .put("description", "Outpost's own calls between regions and from its monitors");
        return components;
    }

    private static void header(ObjectNode parameters, String id, String name, String description, String type) {
        parameters.putObject(id).put("name", name).put("in", "header").put("description", description)
                .putObject("schema").put("type", type);
    }

    private static void query(ObjectNode parameters, String name, String description, String type) {
        parameters.putObject(name).put("name", name).put("in", "query").put("description", description)
                .putObject("schema").put("type", type);
    }

    private static List<String> viewNames(OutpostConfig config) {
        return List.copyOf(config.views().keySet());
    }

    private static Map<String, List<String>> declaredFields(OutpostConfig config) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (ViewDefinition view : config.views().values()) {
            fields.put(view.name(), view.fields());
        }
        return fields;
    }

    /** The summary of a drop-in route of the configuration. */
    public static String summaryOf(RouteConfig route) {
        return route.path().contains("{") ? "A document of view " + route.view() + " (drop-in route)"
                : "Documents of view " + route.view() + " (drop-in route)";
    }
}
