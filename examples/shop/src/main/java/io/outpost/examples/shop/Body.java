package io.outpost.examples.shop;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.Set;

/**
 * A command's JSON body, read strictly: unknown fields, wrong types and out-of-range values are
 * {@link Problem#badRequest 400}s that name the field, so a typo never passes silently.
 */
final class Body {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode node;
    private final String prefix;

    private Body(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static Body parse(byte[] bytes, Set<String> allowed) {
        JsonNode tree;
        try {
            tree = bytes.length == 0 ? null : JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw Problem.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw Problem.badRequest("the body could not be read: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw Problem.badRequest("the body must be a JSON object");
        }
        return new Body((ObjectNode) tree, "").only(allowed);
    }

    private Body only(Set<String> allowed) {
        for (String field : (Iterable<String>) node::fieldNames) {
            if (!allowed.contains(field)) {
                throw Problem.badRequest("unknown field '" + prefix + field + "'; allowed: " + allowed.stream().sorted().toList());
            }
        }
        return this;
    }

    boolean has(String field) {
        return node.hasNonNull(field);
    }

    String text(String field, int maxLength) {
        return optionalText(field, maxLength).orElseThrow(() -> missing(field, "a string"));
    }

    Optional<String> optionalText(String field, int maxLength) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw invalid(field, "must be a non-empty string", value);
        }
        String text = value.textValue().strip();
        if (text.length() > maxLength) {
            throw invalid(field, "must be at most " + maxLength + " characters long", value);
        }
        return Optional.of(text);
    }

    long id(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw missing(field, "a positive whole number");
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.longValue() <= 0) {
            throw invalid(field, "must be a positive whole number", value);
        }
        return value.longValue();
    }

    int integer(String field, int min, int max) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw missing(field, "a whole number from " + min + " to " + max);
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToInt()
                || value.intValue() < min || value.intValue() > max) {
            throw invalid(field, "must be a whole number from " + min + " to " + max, value);
        }
        return value.intValue();
    }

    BigDecimal money(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw missing(field, "an amount such as 12.50");
        }
        BigDecimal amount;
        if (value.isNumber()) {
            amount = value.decimalValue();
        } else if (value.isTextual() && value.textValue().matches("\\d{1,10}(\\.\\d{1,2})?")) {
            amount = new BigDecimal(value.textValue());
        } else {
            throw invalid(field, "must be an amount such as 12.50", value);
        }
        if (amount.signum() < 0 || amount.scale() > 2 && amount.stripTrailingZeros().scale() > 2
                || amount.compareTo(new BigDecimal("9999999999.99")) > 0) {
            throw invalid(field, "must be an amount from 0 to 9999999999.99 with at most 2 decimals", value);
        }
        return amount.setScale(2, java.math.RoundingMode.UNNECESSARY);
    }

    java.util.List<Body> objects(String field, int min, int max, Set<String> allowed) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw missing(field, "a list of " + min + " to " + max + " objects");
        }
        if (!value.isArray() || value.size() < min || value.size() > max) {
            throw invalid(field, "must be a list of " + min + " to " + max + " objects", value);
        }
        java.util.List<Body> items = new java.util.ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            String path = prefix + field + "[" + i + "].";
            if (!item.isObject()) {
                throw Problem.badRequest("'" + path.substring(0, path.length() - 1) + "' must be an object");
            }
            items.add(new Body((ObjectNode) item, path).only(allowed));
        }
        return items;
    }

    private Problem missing(String field, String what) {
        return Problem.badRequest("'" + prefix + field + "' is required: " + what);
    }

    private Problem invalid(String field, String rule, JsonNode value) {
        String shown = value.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return Problem.badRequest("'" + prefix + field + "' " + rule + ", but was " + shown);
    }
}
