package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.required;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A drop-in route: a {@code GET} on one of the monolith's own paths answered from a view. A
 * {@code {param}} segment in the path is the document's key.
 */
public record RouteConfig(String path, String view) {

    private static final Pattern PARAMETER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

    static final Def.Setting<String> PATH = required("path", Type.PATH,
            "The monolith's path, e.g. /orders/{id}; a {param} segment is the view key.");
    static final Def.Setting<String> VIEW = required("view", Type.NAME, "The view that answers it.");

    static final Def.ListOf DEF = new Def.ListOf("routes",
            Def.Section.of("route", true, "One route.", PATH, VIEW),
            "GET paths of the monolith answered from a view in the region, so clients change only the host.");

    public RouteConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(view, "view");
    }

    static RouteConfig read(Cursor c, java.util.Set<String> views) {
        int before = c.problemCount();
        String path = c.get(PATH);
        String view = c.get(VIEW);
        if (view != null && !views.contains(view)) {
            c.problem(VIEW.key(), "names \"" + view + "\", which is not a view; the views are " + views);
        }
        if (path != null) {
            Matcher m = PARAMETER.matcher(path);
            int parameters = 0;
            while (m.find()) {
                parameters++;
            }
            if (parameters > 1) {
                c.problem(PATH.key(), "may have at most one {param} segment (the view key), but has " + parameters
                        + " in \"" + path + "\"");
            }
        }
        return c.failedSince(before) ? null : new RouteConfig(path, view);
    }
}
