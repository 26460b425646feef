package io.outpost.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of a setting: how a YAML value becomes a Java value, and how the rule reads in messages
 * and in the reference. {@link #parse} throws {@link Invalid} with the rule and the value.
 */
interface Type<T> {

    /** The rule as it reads after "must be": {@code "a duration like 500ms, 5s or 2m"}. */
    String rule();

    T parse(JsonNode node) throws Invalid;

    /** A value that breaks a type's rule; the message says the rule and the value. */
    final class Invalid extends Exception {

        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }

        static Invalid of(Type<?> type, JsonNode node) {
            return new Invalid("must be " + type.rule() + ", but was " + show(node));
        }
    }

    static String show(JsonNode node) {
        if (node.isTextual()) {
            return '"' + node.textValue() + '"';
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        return node.toString();
    }

    static Type<String> string(String rule, Pattern pattern) {
        return new Type<>() {
            @Override
            public String rule() {
                return rule;
            }

            @Override
            public String parse(JsonNode node) throws Invalid {
                if (!node.isValueNode() || node.isNull()) {
                    throw Invalid.of(this, node);
                }
                String value = node.asText();
                if (!pattern.matcher(value).matches()) {
                    throw Invalid.of(this, node);
                }
                return value;
            }
        };
    }

    Type<String> TEXT = string("text", Pattern.compile("(?s).*"));
    Type<String> NON_EMPTY = string("non-empty text", Pattern.compile("(?s).*\\S.*"));
    Type<String> NAME = string("a name of lowercase letters, digits and '_' that starts with a letter",
            Pattern.compile("[a-z][a-z0-9_]{0,62}"));
    Type<String> REGION_NAME = string("a region name of lowercase letters, digits and '-' that starts with a letter",
            Pattern.compile("[a-z][a-z0-9-]{0,62}"));
    Type<String> ROLE = string("a role name of letters, digits and '_'", Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}"));
    Type<String> TABLE = string("a table name (schema.table, or table for public.table)", Pattern.compile("([A-Za-z_][A-Za-z0-9_$]*\\.)?[A-Za-z_][A-Za-z0-9_$]*"));
    Type<String> JDBC_POSTGRES = string("a jdbc:postgresql URL such as jdbc:postgresql://db.example.com:5432/shop",
            Pattern.compile("jdbc:postgresql://\\S+"));
    Type<String> PATH = string("a path that starts with '/'", Pattern.compile("/\\S*"));
    /** Any YAML value, read as it is; the setting's reader checks it (see {@link ReadPolicy}). */
    static Type<JsonNode> raw(String rule) {
        return new Type<>() {
            @Override
            public String rule() {
                return rule;
            }

            @Override
            public JsonNode parse(JsonNode node) {
                return node;
            }
        };
    }

    /** One of {@code values}, as written. */
    static Type<String> oneOf(List<String> values) {
        return new Type<>() {
            @Override
            public String rule() {
                return "one of: " + String.join(", ", values);
            }

            @Override
            public String parse(JsonNode node) throws Invalid {
                if (node.isValueNode() && !node.isNull() && values.contains(node.asText().trim())) {
                    return node.asText().trim();
                }
                throw Invalid.of(this, node);
            }
        };
    }

    Type<String> HOST_PORTS = string("a comma-separated list of host:port such as kafka-1:9092,kafka-2:9092",
            Pattern.compile("[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*"));

    Type<String> HTTP_URL = new Type<>() {
        @Override
        public String rule() {
            return "an http:// or https:// URL such as https://shop.internal:8080";
        }

        @Override
        public String parse(JsonNode node) throws Invalid {
            String text = TEXT.parse(node);
            try {
                URI uri = URI.create(text);
                String scheme = uri.getScheme();
                if (("http".equals(scheme) || "https".equals(scheme)) && uri.getHost() != null) {
                    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
                }
            } catch (IllegalArgumentException e) {
                // falls through to the rule's message
            }
            throw Invalid.of(this, node);
        }
    };

    Type<Boolean> BOOLEAN = new Type<>() {
        @Override
        public String rule() {
            return "true or false";
        }

        @Override
        public Boolean parse(JsonNode node) throws Invalid {
            if (node.isBoolean()) {
                return node.booleanValue();
            }
            if (node.isTextual()) {
                switch (node.textValue().trim().toLowerCase(Locale.ROOT)) {
                    case "true" -> { return true; }
                    case "false" -> { return false; }
                    default -> { }
                }
            }
            throw Invalid.of(this, node);
        }
    };

    static Type<Integer> integer(int min, int max) {
        return new Type<>() {
            @Override
            public String rule() {
                return "a whole number from " + min + " to " + max;
            }

            @Override
            public Integer parse(JsonNode node) throws Invalid {
                long value;
                if (node.isIntegralNumber()) {
                    value = node.longValue();
                } else if (node.isTextual() && node.textValue().trim().matches("-?\\d{1,18}")) {
                    value = Long.parseLong(node.textValue().trim());
                } else {
                    throw Invalid.of(this, node);
                }
                if (value < min || value > max) {
                    throw Invalid.of(this, node);
                }
                return (int) value;
            }
        };
    }

    Type<Duration> DURATION = new Type<>() {
        private static final Pattern FORM = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)");

        @Override
        public String rule() {
            return "a duration like 500ms, 5s, 2m, 1h or 7d";
        }

        @Override
        public Duration parse(JsonNode node) throws Invalid {
            if (!node.isTextual()) {
                throw Invalid.of(this, node);
            }
            Matcher m = FORM.matcher(node.textValue().trim());
            if (!m.matches()) {
                throw Invalid.of(this, node);
            }
            long amount = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
    };

    /** A duration, or {@code forever}, which reads as {@code null}. */
    Type<Duration> DURATION_OR_FOREVER = new Type<>() {
        @Override
        public String rule() {
            return "a duration like 12h or 7d, or forever";
        }

        @Override
        public Duration parse(JsonNode node) throws Invalid {
            if (node.isTextual() && node.textValue().trim().equals("forever")) {
                return null;
            }
            try {
                return DURATION.parse(node);
            } catch (Invalid e) {
                throw Invalid.of(this, node);
            }
        }
    };

    static <T> Type<List<T>> listOf(Type<T> element) {
        return new Type<>() {
            @Override
            public String rule() {
                return "a list whose items are each " + element.rule();
            }

            @Override
            public List<T> parse(JsonNode node) throws Invalid {
                if (!node.isArray()) {
                    throw Invalid.of(this, node);
                }
                List<T> values = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    try {
                        values.add(element.parse(node.get(i)));
                    } catch (Invalid e) {
                        throw new Invalid("item " + (i + 1) + " " + e.getMessage());
                    }
                }
                return List.copyOf(values);
            }
        };
    }

    static Type<Map<String, String>> mapOf(Type<String> keys, Type<String> values) {
        return new Type<>() {
            @Override
            public String rule() {
                return "a mapping from " + keys.rule() + " to " + values.rule();
            }

            @Override
            public Map<String, String> parse(JsonNode node) throws Invalid {
                if (!node.isObject()) {
                    throw Invalid.of(this, node);
                }
                Map<String, String> result = new LinkedHashMap<>();
                for (var entry : node.properties()) {
                    try {
                        keys.parse(com.fasterxml.jackson.databind.node.TextNode.valueOf(entry.getKey()));
                    } catch (Invalid e) {
                        throw new Invalid("key \"" + entry.getKey() + "\" " + e.getMessage());
                    }
                    try {
                        result.put(entry.getKey(), values.parse(entry.getValue()));
                    } catch (Invalid e) {
                        throw new Invalid("value of \"" + entry.getKey() + "\" " + e.getMessage());
                    }
                }
                return java.util.Collections.unmodifiableMap(result);
            }
        };
    }
}
