package io.outpost.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in every string value of the tree, in place.
 * {@code $${} stands for a literal {@code ${}. Substitution happens on parsed values, not on the
 * file's text, so a secret full of YAML syntax cannot change the structure of the file.
 */
final class EnvSubstitution {

    /**
     * A reference, or what looks like one: {@code $${} (a literal), {@code ${NAME}} or
     * {@code ${NAME:-default}} (group 1 the name, group 2 the default), or a malformed one (group 1 null).
     */
    static final Pattern REFERENCE = Pattern.compile("\\$\\$\\{|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}|\\$\\{[^}]*}?");

    private final Function<String, String> env;
    private final List<ConfigProblem> problems;

    EnvSubstitution(Function<String, String> env, List<ConfigProblem> problems) {
        this.env = env;
        this.problems = problems;
    }

    JsonNode apply(JsonNode node, String path) {
        if (node instanceof ObjectNode object) {
            for (var entry : object.properties()) {
                entry.setValue(apply(entry.getValue(), path.isEmpty() ? entry.getKey() : path + "." + entry.getKey()));
            }
            return object;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, apply(array.get(i), path + "[" + i + "]"));
            }
            return array;
        }
        if (node.isTextual() && node.textValue().contains("${")) {
            return TextNode.valueOf(substitute(node.textValue(), path));
        }
        return node;
    }

    private String substitute(String text, String path) {
        Matcher m = REFERENCE.matcher(text);
        var out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$${")) {
                replacement = "${";
            } else if (m.group(1) == null) {
                problems.add(new ConfigProblem(path, "has a malformed reference " + m.group()
                        + "; write ${NAME} or ${NAME:-default} (NAME: letters, digits and _), or $${ for a literal ${"));
                replacement = m.group();
            } else {
                String value = env.apply(m.group(1));
                if (value != null) {
                    replacement = value;
                } else if (m.group(2) != null) {
                    replacement = m.group(2);
                } else {
                    problems.add(new ConfigProblem(path, "refers to the environment variable " + m.group(1)
                            + ", which is not set; set it, or give a default with ${" + m.group(1) + ":-default}"));
                    replacement = "";
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
