package io.outpost.core.config;

import java.time.Duration;
import java.util.List;

/** Renders the settings reference from the definitions, so the docs cannot drift from the validator. */
final class ConfigReference {

    private ConfigReference() {
    }

    static String render(Def.Section root) {
        var out = new StringBuilder();
        out.append("Outpost configuration reference\n")
                .append("===============================\n")
                .append("One YAML file, shared by every region. Values may use ${ENV} or ${ENV:-default};\n")
                .append("$${ is a literal ${. Unknown keys are errors. Durations: 500ms, 5s, 2m, 1h, 7d.\n");
        for (Def child : root.children()) {
            Def.flatten(child, child.key(), entry -> {
                describe(entry, out);
                return null;
            });
        }
        return out.toString();
    }

    private static void describe(Def.Entry entry, StringBuilder out) {
        switch (entry.def()) {
            case Def.Section section -> {
                boolean top = !entry.path().contains(".");
                out.append(top ? "\n" : "").append(entry.path())
                        .append(section.required() ? "  (section, required)" : "  (section, optional)").append('\n');
                out.append("    ").append(section.doc()).append('\n');
            }
            case Def.MapOf map -> {
                out.append('\n').append(entry.path()).append(".<").append(map.placeholder()).append(">")
                        .append(map.required() ? "  (one or more, required)" : "  (any number)").append('\n');
                out.append("    ").append(map.doc()).append(" <").append(map.placeholder()).append("> must be ")
                        .append(map.names().rule()).append(".\n");
            }
            case Def.ListOf list -> {
                out.append('\n').append(entry.path()).append("[]  (list)\n");
                out.append("    ").append(list.doc()).append('\n');
            }
            case Def.Setting<?> setting -> {
                out.append("  ").append(entry.path()).append('\n');
                out.append("      ").append(setting.doc()).append('\n');
                out.append("      type: ").append(setting.type().rule()).append('\n');
                out.append("      ").append(defaultOf(setting)).append('\n');
            }
        }
    }

    private static String defaultOf(Def.Setting<?> setting) {
        if (setting.required()) {
            return "required";
        }
        if (setting.derivedDefault() != null) {
            return "default: " + setting.derivedDefault();
        }
        Object value = setting.defaultValue();
        if (value == null) {
            return "default: " + (setting.type() == Type.DURATION_OR_FOREVER ? "forever" : "none");
        }
        if (value instanceof Duration d) {
            return "default: " + show(d);
        }
        if (value instanceof List<?> l && l.isEmpty()) {
            return "default: [] (none)";
        }
        if (value instanceof String s && s.isEmpty()) {
            return "default: \"\" (empty)";
        }
        if (value instanceof Enum<?> e) {
            return "default: " + e.name().toLowerCase(java.util.Locale.ROOT);
        }
        return "default: " + value;
    }

    private static String show(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
