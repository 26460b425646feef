package io.outpost.capture.internal;

import io.outpost.core.Ticker;
import io.outpost.core.config.SourceConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the source's WAL is ahead of what capture has confirmed to its replication slot, in
 * bytes: what a capture that stopped now would have to read again, and what the source keeps on
 * disk for it. Read from the source when asked (a scrape), at most every 5 s; NaN while the source
 * cannot be asked or the slot does not exist yet.
 *
 * <p>Thread safety: {@link #bytes} is synchronized (scrapes may overlap).
 */
public final class SlotLag {

    private static final Logger LOG = LoggerFactory.getLogger(SlotLag.class);
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final SourceConfig source;
    private final Ticker ticker;
    private double bytes = Double.NaN;
    private long readAt;
    private boolean read;

    public SlotLag(SourceConfig source, Ticker ticker) {
        this.source = source;
        this.ticker = ticker;
    }

    /** The slot's lag in bytes, NaN when it cannot be known. */
    public synchronized double bytes() {
        long now = ticker.read();
        if (read && now - readAt < REFRESH_NANOS) {
            return bytes;
        }
        read = true;
        readAt = now;
        try (Connection c = SourceConnections.open(source, "capture slot lag");
             PreparedStatement s = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) "
                     + "FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, source.slot());
            try (ResultSet rs = s.executeQuery()) {
                bytes = rs.next() && rs.getObject(1) != null ? rs.getDouble(1) : Double.NaN;
            }
        } catch (SQLException e) {
            LOG.debug("cannot read the lag of replication slot {} at {}: {}", source.slot(), source.url(), e.getMessage());
            bytes = Double.NaN;
        }
        return bytes;
    }
}
