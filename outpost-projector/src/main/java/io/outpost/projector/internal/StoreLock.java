package io.outpost.projector.internal;

import io.outpost.core.config.RegionConfig;
import io.outpost.runtime.AdvisoryLock;
import java.sql.DriverManager;
import java.util.Properties;

/**
 * The advisory lock that makes one projector per region and source active: in the region's store,
 * on a session of its own (see {@link AdvisoryLock}).
 */
public final class StoreLock {

    private StoreLock() {
    }

    /** The lock of {@code source}'s projector in {@code store}; {@code where} names the store in messages. */
    public static AdvisoryLock of(RegionConfig.Store store, String source, String where) {
        return AdvisoryLock.of("outpost-projector:" + source, where, () -> {
            Properties properties = new Properties();
            properties.setProperty("user", store.user());
            properties.setProperty("password", store.password());
            properties.setProperty("ApplicationName", "outpost projector lock");
            properties.setProperty("connectTimeout", "5");
            return DriverManager.getConnection(store.url(), properties);
        });
    }
}
