package io.outpost.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one mapping of the YAML tree against its {@link Def.Section}, recording every problem
 * instead of stopping at the first. Values that are missing or invalid read as their default (or
 * {@code null}), so reading goes on and later problems are found too; callers check
 * {@link #problemCount()} before they build a value from what they read.
 */
final class Cursor {

    private final String path;
    private final JsonNode node;
    private final List<ConfigProblem> problems;
    /** The section is missing, and that was reported already: its required settings need no problem each. */
    private final boolean reportedAbsent;

    private Cursor(String path, JsonNode node, Def.Section def, List<ConfigProblem> problems) {
        this(path, node, def, problems, false);
    }

    private Cursor(String path, JsonNode node, Def.Section def, List<ConfigProblem> problems, boolean reportedAbsent) {
        this.path = path;
        this.node = node;
        this.problems = problems;
        this.reportedAbsent = reportedAbsent;
        checkKeys(def);
    }

    static Cursor root(JsonNode node, Def.Section def, List<ConfigProblem> problems) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            problems.add(new ConfigProblem("", "the configuration is empty; it needs at least the sections "
                    + String.join(", ", def.children().stream().map(Def::key).toList())));
            return new Cursor("", MissingNode.getInstance(), def, problems);
        }
        if (!node.isObject()) {
            problems.add(new ConfigProblem("", "the configuration must be a YAML mapping of sections, but was "
                    + Type.show(node)));
            return new Cursor("", MissingNode.getInstance(), def, problems);
        }
        return new Cursor("", node, def, problems);
    }

    String path() {
        return path;
    }

    int problemCount() {
        return problems.size();
    }

    /** Whether anything read from this mapping since {@code mark} was wrong or missing. */
    boolean failedSince(int mark) {
        return problems.size() > mark || reportedAbsent;
    }

    void problem(String key, String message) {
        problems.add(new ConfigProblem(pathOf(key), message));
    }

    /** Whether a problem was already reported at {@code key} or inside it (by {@code ${ENV}} substitution, say). */
    boolean problemAt(String key) {
        String at = pathOf(key);
        return problems.stream().anyMatch(p -> p.path().equals(at) || p.path().startsWith(at + "[") || p.path().startsWith(at + "."));
    }

    /** Whether the key is present (and not null) in this mapping. */
    boolean has(String key) {
        JsonNode value = node.get(key);
        return value != null && !value.isNull();
    }

    <T> T get(Def.Setting<T> setting) {
        JsonNode value = node.get(setting.key());
        if (value == null || value.isNull()) {
            if (setting.required() && !reportedAbsent) {
                problem(setting.key(), "is required and missing; it must be " + setting.type().rule());
            }
            return setting.defaultValue();
        }
        try {
            return setting.type().parse(value);
        } catch (Type.Invalid e) {
            problem(setting.key(), e.getMessage());
            return setting.defaultValue();
        }
    }

    Cursor section(Def.Section def) {
        JsonNode value = node.get(def.key());
        if (value == null || value.isNull()) {
            if (def.required()) {
                problem(def.key(), "is required and missing: " + def.doc());
            }
            return new Cursor(pathOf(def.key()), MissingNode.getInstance(), def, problems, def.required());
        }
        if (!value.isObject()) {
            problem(def.key(), "must be a mapping, but was " + Type.show(value));
            return new Cursor(pathOf(def.key()), MissingNode.getInstance(), def, problems, true);
        }
        return new Cursor(pathOf(def.key()), value, def, problems);
    }

    Map<String, Cursor> map(Def.MapOf def) {
        JsonNode value = node.get(def.key());
        Map<String, Cursor> entries = new LinkedHashMap<>();
        if (value == null || value.isNull() || (value.isObject() && value.isEmpty())) {
            if (def.required()) {
                problem(def.key(), "is required and needs at least one entry: " + def.doc());
            }
            return entries;
        }
        if (!value.isObject()) {
            problem(def.key(), "must be a mapping from " + def.placeholder() + " names to settings, but was "
                    + Type.show(value));
            return entries;
        }
        for (var entry : value.properties()) {
            String entryPath = pathOf(def.key()) + "." + entry.getKey();
            try {
                def.names().parse(com.fasterxml.jackson.databind.node.TextNode.valueOf(entry.getKey()));
            } catch (Type.Invalid e) {
                problems.add(new ConfigProblem(entryPath, "the " + def.placeholder() + " name " + e.getMessage()));
            }
            if (!entry.getValue().isObject()) {
                problems.add(new ConfigProblem(entryPath, "must be a mapping of settings, but was "
                        + Type.show(entry.getValue())));
                entries.put(entry.getKey(), new Cursor(entryPath, MissingNode.getInstance(), def.value(), problems, true));
            } else {
                entries.put(entry.getKey(), new Cursor(entryPath, entry.getValue(), def.value(), problems));
            }
        }
        return entries;
    }

    List<Cursor> list(Def.ListOf def) {
        JsonNode value = node.get(def.key());
        List<Cursor> items = new ArrayList<>();
        if (value == null || value.isNull()) {
            return items;
        }
        if (!value.isArray()) {
            problem(def.key(), "must be a list, but was " + Type.show(value));
            return items;
        }
        for (int i = 0; i < value.size(); i++) {
            String itemPath = pathOf(def.key()) + "[" + i + "]";
            JsonNode item = value.get(i);
            if (!item.isObject()) {
                problems.add(new ConfigProblem(itemPath, "must be a mapping of settings, but was " + Type.show(item)));
                items.add(new Cursor(itemPath, MissingNode.getInstance(), def.element(), problems, true));
            } else {
                items.add(new Cursor(itemPath, item, def.element(), problems));
            }
        }
        return items;
    }

    private void checkKeys(Def.Section def) {
        if (!node.isObject()) {
            return;
        }
        for (String key : (Iterable<String>) node::fieldNames) {
            if (!def.knows(key)) {
                List<String> known = def.children().stream().map(Def::key).toList();
                String nearest = known.stream()
                        .min(Comparator.comparingInt(k -> distance(k, key)))
                        .filter(k -> distance(k, key) <= Math.max(2, key.length() / 3))
                        .map(k -> "; did you mean '" + k + "'?")
                        .orElse("");
                problem(key, "is not a known setting" + nearest + " (known here: " + String.join(", ", known) + ")");
            }
        }
    }

    private String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Levenshtein distance, for "did you mean". */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
