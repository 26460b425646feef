package io.outpost.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who may read a view's documents ({@code views.<view>.read}): anyone ({@code public}), or the
 * callers one of the rules applies to, each seeing the rows that rule's conditions allow.
 *
 * <pre>{@code
 * read:
 *   - { scope: "orders:read:all" }                                # every row
 *   - { scope: "orders:read", rows: { customer.id: "{claims.sub}" }, hide: [customer.email] }
 *   - { rows: { status: { in: [PAID, SHIPPED] } } }               # any authenticated caller
 * }</pre>
 *
 * A rule applies to a caller that has its {@code scope} (any caller when it names none). A caller
 * sees a row when some rule that applies to it allows the row: all of the rule's {@code rows}
 * conditions hold. A condition compares a declared field (or the view's key column) with claims of
 * the caller or literals; a missing or non-scalar claim matches nothing.
 *
 * @param isPublic whether anyone may read every row, authenticated or not
 * @param rules    the rules, in the order written; empty when public
 */
public record ReadPolicy(boolean isPublic, List<Rule> rules) {

    static final Pattern CLAIM = Pattern.compile("\\{claims\\.([^{}\\s]+)}");
    private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");

    public static final ReadPolicy PUBLIC = new ReadPolicy(true, List.of());

    public ReadPolicy {
        rules = List.copyOf(rules);
        if (isPublic && !rules.isEmpty()) {
            throw new IllegalArgumentException("a public view has no rules");
        }
    }

    /**
     * One rule.
     *
     * @param scope the scope a caller needs for the rule to apply; null when any authenticated caller
     * @param rows  conditions a row must meet, all of them; empty for every row
     * @param hide  document fields (dotted paths) removed from what this rule shows
     */
    public record Rule(String scope, List<Condition> rows, List<String> hide) {
        public Rule {
            rows = List.copyOf(rows);
            hide = List.copyOf(hide);
        }
    }

    /**
     * {@code field} equals one of {@code anyOf}.
     *
     * @param field the field's dotted path, or the view's key column
     * @param onKey whether {@code field} is the view's key column rather than a declared field
     */
    public record Condition(String field, boolean onKey, List<Operand> anyOf) {
        public Condition {
            Objects.requireNonNull(field, "field");
            anyOf = List.copyOf(anyOf);
            if (anyOf.isEmpty()) {
                throw new IllegalArgumentException("a condition needs at least one value");
            }
        }
    }

    /** What a field is compared with. */
    public sealed interface Operand permits Claim, Literal {
    }

    /** The caller's claim {@code name} (a top-level claim of its token or of forward mode's answer). */
    public record Claim(String name) implements Operand {
        public Claim {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A value written in the configuration: a JSON string, number or boolean, as JSON text. */
    public record Literal(String json) implements Operand {
        public Literal {
            Objects.requireNonNull(json, "json");
        }
    }

    static final String RULE = "public, or a list of rules, each { scope: S, rows: { field: value, … }, hide: [field, …] } "
            + "(all optional); a value is a literal, \"{claims.NAME}\", or { in: [values] }";

    /**
     * Reads {@code node}, the value of {@code views.<view>.read}, reporting problems under
     * {@code key}; null when there were any.
     *
     * @param fields    the view's declared fields
     * @param keyColumn the view's key column, which a condition may also name
     */
    static ReadPolicy read(JsonNode node, Cursor c, String key, List<String> fields, String keyColumn) {
        int before = c.problemCount();
        if (node.isTextual() && node.textValue().trim().equals("public")) {
            return PUBLIC;
        }
        if (!node.isArray() || node.isEmpty()) {
            c.problem(key, "must be " + RULE + ", but was " + (node.isArray() ? "an empty list" : Type.show(node)));
            return null;
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String at = key + "[" + i + "]";
            JsonNode rule = node.get(i);
            if (!rule.isObject()) {
                c.problem(at, "must be a rule { scope: S, rows: { field: value }, hide: [fields] }, but was " + Type.show(rule));
                continue;
            }
            for (String name : (Iterable<String>) rule::fieldNames) {
                if (!List.of("scope", "rows", "hide").contains(name)) {
                    c.problem(at + "." + name, "is not a part of a read rule (known: scope, rows, hide)");
                }
            }
            String scope = null;
            JsonNode scopeNode = rule.get("scope");
            if (scopeNode != null && !scopeNode.isNull()) {
                if (!scopeNode.isTextual() || !SCOPE.matcher(scopeNode.textValue()).matches()) {
                    c.problem(at + ".scope", "must be one OAuth scope (printable characters, no spaces or quotes), but was "
                            + Type.show(scopeNode));
                } else {
                    scope = scopeNode.textValue();
                }
            }
            List<Condition> rows = rows(rule.get("rows"), c, at + ".rows", fields, keyColumn);
            List<String> hide = List.of();
            JsonNode hideNode = rule.get("hide");
            if (hideNode != null && !hideNode.isNull()) {
                try {
                    hide = Type.listOf(ViewDefinition.FIELD_PATH).parse(hideNode);
                } catch (Type.Invalid e) {
                    c.problem(at + ".hide", e.getMessage());
                }
            }
            rules.add(new Rule(scope, rows == null ? List.of() : rows, hide));
        }
        return c.failedSince(before) ? null : new ReadPolicy(false, rules);
    }

    private static List<Condition> rows(JsonNode node, Cursor c, String at, List<String> fields, String keyColumn) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isObject()) {
            c.problem(at, "must be a mapping of field: value, but was " + Type.show(node));
            return null;
        }
        List<Condition> conditions = new ArrayList<>();
        for (var entry : node.properties()) {
            String field = entry.getKey();
            String here = at + "." + field;
            boolean declared = fields.contains(field);
            if (!declared && !field.equals(keyColumn)) {
                c.problem(here, "is not a declared field of the view, so a rule cannot compare it; declare it in the view's "
                        + "fields, or compare one of " + fields + " or the key " + keyColumn);
                continue;
            }
            JsonNode value = entry.getValue();
            List<Operand> anyOf = new ArrayList<>();
            if (value.isObject()) {
                JsonNode in = value.get("in");
                if (value.size() != 1 || in == null || !in.isArray() || in.isEmpty()) {
                    c.problem(here, "must be a value, or { in: [values] } with at least one value, but was a mapping");
                    continue;
                }
                for (JsonNode item : in) {
                    Operand operand = operand(item, c, here);
                    if (operand != null) {
                        anyOf.add(operand);
                    }
                }
                if (anyOf.size() < in.size()) {
                    continue;
                }
            } else {
                Operand operand = operand(value, c, here);
                if (operand == null) {
                    continue;
                }
                anyOf.add(operand);
            }
            conditions.add(new Condition(field, !declared, anyOf));
        }
        return conditions;
    }

    private static Operand operand(JsonNode value, Cursor c, String at) {
        if (value.isTextual()) {
            String text = value.textValue();
            Matcher claim = CLAIM.matcher(text);
            if (claim.matches()) {
                return new Claim(claim.group(1));
            }
            if (text.contains("{") || text.contains("}")) {
                c.problem(at, "must name a claim as {claims.NAME} (the whole value, such as \"{claims.sub}\"), or be a "
                        + "literal without braces, but was \"" + text + "\"");
                return null;
            }
            return new Literal(value.toString());
        }
        if (value.isNumber() || value.isBoolean()) {
            return new Literal(value.toString());
        }
        c.problem(at, "must be a string, number or boolean literal, or \"{claims.NAME}\", but was " + Type.show(value));
        return null;
    }
}
