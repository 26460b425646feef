package io.outpost.gateway.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.outpost.store.ViewReads;
import io.outpost.store.WatermarkWatcher;

/**
 * Documents read by key, each with the watermark it was read at, served again only while the
 * region's watermark has not moved past it: a cached answer is exactly what a read would return
 * now, watermark included. The watermark moves with every applied transaction and at least with
 * every source heartbeat (1 s), so an entry is useful for about that long; beyond
 * {@value #MAX_ENTRIES} entries Caffeine evicts (by frequency and recency). Its upkeep runs on the
 * calling thread: a write per miss, and no hop to another pool on the query path (measured: with
 * an expiry and the common pool, a miss's put was a tenth of the gateway's time per read by key).
 * Shared by every caller of the gateway: it holds what the store holds, nothing per caller.
 */
final class DocumentCache {

    static final int MAX_ENTRIES = 100_000;

    private final Cache<String, ViewReads.One> documents;
    private final WatermarkWatcher watcher;

    DocumentCache(WatermarkWatcher watcher) {
        this.watcher = watcher;
        this.documents = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).executor(Runnable::run).build();
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
