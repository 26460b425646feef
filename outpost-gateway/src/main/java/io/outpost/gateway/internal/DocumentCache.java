package io.outpost.gateway.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.outpost.core.Ticker;
import io.outpost.store.ViewReads;
import io.outpost.store.WatermarkWatcher;
import java.time.Duration;

/**
 * Documents read by key, each with the watermark it was read at, served again only while the
 * region's watermark has not moved past it: a cached answer is exactly what a read would return
 * now, watermark included. The watermark moves with every applied transaction and at least with
 * every source heartbeat (1 s), so an entry is useful for about that long; entries are dropped
 * after {@value #MAX_ENTRIES} (least recently used first) or {@link #LIFETIME} after they were read.
 * Shared by every caller of the gateway: it holds what the store holds, nothing per caller.
 */
final class DocumentCache {

    static final int MAX_ENTRIES = 100_000;
    /** Well past any watermark's life (a heartbeat a second): an entry this old cannot be served. */
    static final Duration LIFETIME = Duration.ofSeconds(30);

    private final Cache<String, ViewReads.One> documents;
    private final WatermarkWatcher watcher;

    DocumentCache(WatermarkWatcher watcher, Ticker ticker) {
        this.watcher = watcher;
        this.documents = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(LIFETIME)
                .ticker(ticker::read).build();
    }

    /**
     * The document of {@code key} in {@code view} read earlier, if it is still what the store shows:
     * read at a watermark at or past the one the watcher knows now. Only while the watcher is
     * connected — otherwise the region may have moved without the gateway knowing.
     */
    ViewReads.One get(String view, String key) {
        ViewReads.One one = documents.getIfPresent(cacheKey(view, key));
        if (one == null || !watcher.connected()) {
            return null;
        }
        ViewReads.Snapshot now = watcher.current();
        return now.position() != null && one.snapshot().position() != null
                && !now.position().isAfter(one.snapshot().position()) ? one : null;
    }

    /** Keeps a document just read (not one read before the region applied anything). */
    void put(String view, String key, ViewReads.One one) {
        if (one.snapshot().position() != null) {
            documents.put(cacheKey(view, key), one);
        }
    }

    private static String cacheKey(String view, String key) {
        return view + '\u0000' + key;
    }
}
