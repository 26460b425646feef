package io.outpost.core.change;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A row image that cannot change: a private copy behind an unmodifiable view. Freezing one again
 * (capture restamps every row with its commit position) costs nothing.
 */
final class FrozenMap extends AbstractMap<String, Object> {

    private final Map<String, Object> view;

    private FrozenMap(Map<String, Object> copy) {
        this.view = Collections.unmodifiableMap(copy);
    }

    static Map<String, Object> of(Map<String, Object> values) {
        return values instanceof FrozenMap frozen ? frozen : new FrozenMap(new LinkedHashMap<>(values));
    }

    @Override
    public Object get(Object key) {
        return view.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return view.containsKey(key);
    }

    @Override
    public int size() {
        return view.size();
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return view.entrySet();
    }

    @Override
    public Set<String> keySet() {
        return view.keySet();
    }

    @Override
    public Collection<Object> values() {
        return view.values();
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Object> action) {
        view.forEach(action);
    }
}
