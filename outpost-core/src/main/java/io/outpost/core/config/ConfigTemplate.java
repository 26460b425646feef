package io.outpost.core.config;

import java.util.Map;
import java.util.regex.Matcher;

/**
 * A configuration file's text with some of its {@code ${NAME}} / {@code ${NAME:-default}}
 * references written in: for a process that writes a file for another with values it chose (the
 * demo's addresses, a test harness's ports). References to names not given stay as they are,
 * defaults included, for the environment to fill when the file is read; {@code $${} stays a literal.
 * The references are the ones {@link OutpostConfig#parse} substitutes (one pattern for both).
 *
 * <p>Values go into the text as they are: this is for addresses and names, not for secrets, which
 * the environment substitutes on parsed values where YAML syntax in them cannot change the file.
 */
public final class ConfigTemplate {

    private ConfigTemplate() {
    }

    /** {@code text} with each reference to a name in {@code values} replaced by its value. */
    public static String render(String text, Map<String, String> values) {
        Matcher m = EnvSubstitution.REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = m.group(1) == null ? null : values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        return m.appendTail(out).toString();
    }
}
