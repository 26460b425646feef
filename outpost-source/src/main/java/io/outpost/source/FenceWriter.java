package io.outpost.source;

import io.outpost.core.ConsistencyToken;
import io.outpost.core.OutpostException;
import io.outpost.core.SourcePosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Writes fences: a gateway calls {@link #write} right after a command succeeded and returns the
 * token to the client. The fence's position is above the commit of every transaction that
 * finished before the call, so a region whose watermark reaches the token has applied the
 * command; and the fence's arrival through the log moves every region's watermark past it at once.
 */
public final class FenceWriter {

    private final DataSource source;
    private final String sourceName;

    public FenceWriter(DataSource source, String sourceName) {
        this.source = Objects.requireNonNull(source, "source");
        this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
    }

    /**
     * Writes a fence and returns its token.
     *
     * @param id what writes it (a gateway, a request id), for tracing
     * @throws OutpostException.Retriable when the source cannot be reached
     */
    public ConsistencyToken write(String id) {
        try (Connection c = source.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)::text")) {
            s.setString(1, LogicalMessages.FENCE_PREFIX);
            s.setString(2, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new ConsistencyToken(sourceName, SourcePosition.parse(rs.getString(1)));
            }
        } catch (SQLException e) {
            throw new OutpostException.Retriable("cannot write a fence into source " + sourceName + ": "
                    + e.getMessage(), e);
        }
    }
}
