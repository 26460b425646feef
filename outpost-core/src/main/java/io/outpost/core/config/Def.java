package io.outpost.core.config;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The definition of one part of the configuration. Every setting is defined once, here: its key,
 * type, default and documentation. The reader, the unknown-key check and
 * {@code outpost config-reference} all walk these definitions.
 */
sealed interface Def permits Def.Setting, Def.Section, Def.MapOf, Def.ListOf {

    String key();

    String doc();

    /**
     * A value. {@code defaultValue} is used when the key is absent; a {@code derivedDefault}
     * explains a default computed from other settings; a required setting has neither.
     */
    record Setting<T>(String key, Type<T> type, boolean required, T defaultValue, String derivedDefault, String doc)
            implements Def {

        public Setting {
            Objects.requireNonNull(key);
            Objects.requireNonNull(type);
            Objects.requireNonNull(doc);
        }

        static <T> Setting<T> required(String key, Type<T> type, String doc) {
            return new Setting<>(key, type, true, null, null, doc);
        }

        static <T> Setting<T> optional(String key, Type<T> type, T defaultValue, String doc) {
            return new Setting<>(key, type, false, defaultValue, null, doc);
        }

        /** A setting whose default is computed from others; {@code how} says how, for the reference. */
        static <T> Setting<T> derived(String key, Type<T> type, String how, String doc) {
            return new Setting<>(key, type, false, null, how, doc);
        }
    }

    /** A mapping with fixed keys. */
    record Section(String key, boolean required, List<Def> children, String doc) implements Def {

        public Section {
            children = List.copyOf(children);
        }

        static Section of(String key, boolean required, String doc, Def... children) {
            return new Section(key, required, List.of(children), doc);
        }

        boolean knows(String childKey) {
            return children.stream().anyMatch(child -> child.key().equals(childKey));
        }
    }

    /** A mapping from names the user chooses ({@code regions.<region>}) to sections. */
    record MapOf(String key, String placeholder, Type<String> names, boolean required, Section value, String doc)
            implements Def {
    }

    /** A list of sections ({@code routes[0]}). */
    record ListOf(String key, Section element, String doc) implements Def {
    }

    /** Maps a definition tree, depth first; used by the reference. */
    static <R> List<R> flatten(Def def, String prefix, Function<Entry, R> f) {
        var out = new java.util.ArrayList<R>();
        walk(def, prefix, f, out);
        return out;
    }

    /** One definition with the path pattern it stands at: {@code regions.<region>.store.url}. */
    record Entry(String path, Def def) {
    }

    private static <R> void walk(Def def, String path, Function<Entry, R> f, List<R> out) {
        out.add(f.apply(new Entry(path, def)));
        switch (def) {
            case Setting<?> ignored -> { }
            case Section section -> section.children().forEach(c -> walk(c, join(path, c.key()), f, out));
            case MapOf map -> map.value().children()
                    .forEach(c -> walk(c, join(path + ".<" + map.placeholder() + ">", c.key()), f, out));
            case ListOf list -> list.element().children().forEach(c -> walk(c, join(path + "[]", c.key()), f, out));
        }
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
