package io.outpost.source;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Capture as the source database sees it, from {@code pg_replication_slots}: whether a capture
 * streams from Outpost's replication slot, and how many bytes of WAL the slot holds that capture
 * has not confirmed (what a capture starting now would read again; what the source keeps on disk
 * for it). What the dashboard and {@code outpost status} show.
 *
 * @param state    {@code streaming} (a capture is connected to the slot), {@code stopped} (the slot
 *                 exists and nobody streams from it: capture is down or between attempts),
 *                 {@code no-slot} (capture has not started yet) or {@code unknown} (the source
 *                 cannot be asked; {@code detail} says why)
 * @param lagBytes WAL written at the source that capture has not confirmed; null when unknown
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CaptureSlot(String slot, String state, Long lagBytes, String detail) {

    public static final String STREAMING = "streaming";

    /** Reads the slot's state on {@code c}. */
    public static CaptureSlot read(Connection c, String slot) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), "
                + "confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, slot);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return new CaptureSlot(slot, "no-slot", null, "the source has no replication slot " + slot
                            + ": capture has not started yet");
                }
                boolean active = rs.getBoolean(1);
                long lag = rs.getLong(2);
                Long lagBytes = rs.wasNull() ? null : lag;
                return new CaptureSlot(slot, active ? STREAMING : "stopped", lagBytes, active ? "a capture streams from the slot"
                        : "nobody streams from the slot: capture is down or between attempts");
            }
        }
    }

    /** The state when the source cannot be asked. */
    public static CaptureSlot unknown(String slot, String why) {
        return new CaptureSlot(slot, "unknown", null, "the source cannot be asked: " + why);
    }
}
