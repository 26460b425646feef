package io.outpost.core.config;

import io.outpost.core.OutpostException;
import java.util.List;

/** A configuration that cannot be used; carries every problem found, not just the first. */
public final class ConfigException extends OutpostException {

    private static final long serialVersionUID = 1L;

    /** Not serialized: configuration problems are reported where they are found, never shipped. */
    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found; unknown keys of a mapping come before the problems of its values. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String render(List<ConfigProblem> problems) {
        var text = new StringBuilder("the configuration has ")
                .append(problems.size() == 1 ? "1 problem" : problems.size() + " problems")
                .append(':');
        for (ConfigProblem problem : problems) {
            text.append("\n  - ").append(problem);
        }
        return text.toString();
    }
}
