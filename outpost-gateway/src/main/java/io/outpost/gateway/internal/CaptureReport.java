package io.outpost.gateway.internal;

import io.outpost.core.Ticker;
import io.outpost.source.CaptureSlot;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Capture as the source sees it ({@link CaptureSlot}), for the dashboard of a region with a link to
 * the monolith (which reaches the source for its fences); read when asked, at most every 5 s.
 *
 * <p>Thread safety: {@link #now} is synchronized (dashboard requests may overlap).
 */
public final class CaptureReport {

    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final DataSource source;
    private final String slot;
    private final Ticker ticker;
    private CaptureSlot last;
    private long readAt;

    public CaptureReport(DataSource source, String slot, Ticker ticker) {
        this.source = source;
        this.slot = slot;
        this.ticker = ticker;
    }

    /** The latest reading, at most 5 s old. */
    public synchronized CaptureSlot now() {
        long now = ticker.read();
        if (last != null && now - readAt < REFRESH_NANOS) {
            return last;
        }
        readAt = now;
        try (Connection c = source.getConnection()) {
            last = CaptureSlot.read(c, slot);
        } catch (SQLException e) {
            last = CaptureSlot.unknown(slot, e.getMessage());
        }
        return last;
    }
}
