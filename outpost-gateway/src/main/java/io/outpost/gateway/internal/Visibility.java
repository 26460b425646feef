package io.outpost.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Map;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.store.ViewReads;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The rows of one view one caller may see, compiled from the view's read rules and the caller's
 * claims ({@link ReadRules#visibility}): either every row, or the rows that one of the groups
 * allows — a group being the conditions of one rule, every one of which must hold.
 *
 * <p>Each condition is a declared field (or the key) and the JSON values it may equal, the claims
 * already resolved, so it has two forms that must agree: bind parameters of the SQL that reads
 * lists ({@link #filters()}, the store compares jsonb), and a check of a document in memory
 * ({@link #allows}) for documents read by key, which may come from the shared document cache. Both
 * compare JSON values as jsonb does: numbers by value ({@code 5 = 5.0}), strings and booleans
 * exactly, never a string with a number, and JSON null with nothing (no value is ever null).
 */
final class Visibility {

    /** Whatever is there. */
    static final Visibility ALL = new Visibility(null);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /**
     * One condition: the field (dotted path; {@code null} for the view's key) equals one of
     * {@code values} (JSON texts, never empty).
     */
    record Condition(String field, List<String> values) {
        Condition {
            values = List.copyOf(values);
        }
    }

    /** The conditions of one rule, all of which must hold, and the fields that rule hides. */
    record Group(List<Condition> conditions, List<String> hide) {
        Group {
            conditions = List.copyOf(conditions);
            hide = List.copyOf(hide);
        }
    }

    /** null: every row, nothing hidden. */
    private final List<Group> groups;
    private final String keyColumn;
    private final List<List<JsonNode>> parsed;
    /** Reads the conditions' values out of documents. */
    private final DocumentFields fields;
    /** The groups as the list query's filters; made once, as a visibility serves every list its caller asks for. */
    private final List<List<ViewReads.Filter>> filters;

    private Visibility(List<Group> groups) {
        this(groups, null, null);
    }

    private Visibility(List<Group> groups, String keyColumn, DocumentFields fields) {
        this.groups = groups == null ? null : List.copyOf(groups);
        this.keyColumn = keyColumn;
        this.parsed = new ArrayList<>();
        if (groups != null) {
            for (Group group : groups) {
                for (Condition condition : group.conditions()) {
                    List<JsonNode> values = new ArrayList<>();
                    condition.values().forEach(value -> values.add(parse(value)));
                    parsed.add(values);
                }
            }
        }
        Set<String> paths = new HashSet<>();
        if (groups != null) {
            groups.forEach(group -> group.conditions().forEach(condition -> paths.add(path(condition))));
        }
        this.fields = fields != null && paths.stream().allMatch(fields::covers) ? fields : DocumentFields.read(paths);
        this.filters = groups == null ? null : groups.stream().map(group -> group.conditions().stream()
                .map(condition -> new ViewReads.Filter(condition.field() == null ? ViewReads.KEY : condition.field(),
                        ViewReads.Operator.EQ, condition.values())).toList()).toList();
    }

    /** The rows {@code groups} allow (none when there are none), in a view whose key column is {@code keyColumn}. */
    static Visibility of(List<Group> groups, String keyColumn) {
        return new Visibility(groups, keyColumn, null);
    }

    /** The same, reading documents' values through {@code fields} (which keeps them per document). */
    static Visibility of(List<Group> groups, String keyColumn, DocumentFields fields) {
        return new Visibility(groups, keyColumn, fields);
    }

    boolean everything() {
        return groups == null;
    }

    /** Whether nothing can be seen (no group can hold). */
    boolean nothing() {
        return groups != null && groups.isEmpty();
    }

    /** Whether a rule hides some fields, so documents are changed before they are shown. */
    boolean hides() {
        return groups != null && groups.stream().anyMatch(group -> !group.hide().isEmpty());
    }

    /** The groups, for the list's SQL; null when every row is visible. */
    List<List<ViewReads.Filter>> filters() {
        return filters;
    }

    /** Whether {@code doc} (a view document's JSON text) is visible. */
    boolean allows(String doc) {
        return groups == null || !allowing(fields.of(doc)::get).isEmpty();
    }

    /**
     * {@code doc} as this caller may see it, or null when it may not: the fields every rule that
     * allows it hides are removed (a field one of them shows stays).
     */
    String shown(String doc) {
        if (groups == null) {
            return doc;
        }
        if (!hides()) { // only the conditions' values are needed, not the whole document
            return allowing(fields.of(doc)::get).isEmpty() ? null : doc;
        }
        JsonNode node = read(doc);
        List<Group> allowing = allowing(path -> at(node, path));
        if (allowing.isEmpty()) {
            return null;
        }
        Set<String> hidden = new HashSet<>(allowing.getFirst().hide());
        allowing.forEach(group -> hidden.retainAll(group.hide()));
        if (hidden.isEmpty()) {
            return doc;
        }
        hidden.forEach(path -> remove(node, path));
        return node.toString();
    }

    private String path(Condition condition) {
        return condition.field() == null ? keyColumn : condition.field();
    }

    private List<Group> allowing(java.util.function.Function<String, JsonNode> valueAt) {
        List<Group> allowing = new ArrayList<>();
        int index = 0;
        for (Group group : groups) {
            boolean holds = true;
            for (Condition condition : group.conditions()) {
                List<JsonNode> values = parsed.get(index++);
                if (holds) {
                    JsonNode value = valueAt.apply(path(condition));
                    holds = value != null && values.stream().anyMatch(candidate -> equal(value, candidate));
                }
            }
            if (holds) {
                allowing.add(group);
            }
        }
        return allowing;
    }

    private static JsonNode at(JsonNode doc, String path) {
        JsonNode node = doc;
        for (String name : path.split("\\.")) {
            node = node == null || !node.isObject() ? null : node.get(name);
        }
        return node;
    }

    private static void remove(JsonNode doc, String path) {
        int dot = path.lastIndexOf('.');
        JsonNode parent = dot < 0 ? doc : at(doc, path.substring(0, dot));
        if (parent instanceof ObjectNode object) {
            object.remove(path.substring(dot + 1));
        }
    }

    /** jsonb's equality of scalars: numbers by value, strings and booleans exactly; null equals nothing here. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isTextual() && b.isTextual() || a.isBoolean() && b.isBoolean()) {
            return a.equals(b);
        }
        return false;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the store holds a document that is not JSON", e);
        }
    }

    static JsonNode parse(String json) {
        return read(json);
    }
}
