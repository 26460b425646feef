package io.outpost.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Requests to rebuild a view, kept in {@code outpost_rebuilds}: {@code outpost rebuild} files one,
 * the region's active projector carries it out between two batches (so the view is built at a
 * watermark and nothing is applied meanwhile) and reports its progress there.
 */
public final class Rebuilds {

    /** Where a request is. */
    public enum State { REQUESTED, RUNNING, DONE, FAILED }

    /** A request and its progress. */
    public record Request(long id, String view, State state, long written, Long total, String detail) {
    }

    private Rebuilds() {
    }

    /** Files a request; returns its id. */
    public static long request(Connection c, String view) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO public.outpost_rebuilds (view, state) VALUES (?, 'REQUESTED') RETURNING id")) {
            s.setString(1, view);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The oldest request not yet started. */
    public static Optional<Request> next(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id FROM public.outpost_rebuilds WHERE state = 'REQUESTED' "
                + "ORDER BY id LIMIT 1"); ResultSet rs = s.executeQuery()) {
            return rs.next() ? get(c, rs.getLong(1)) : Optional.empty();
        }
    }

    /** A request by id. */
    public static Optional<Request> get(Connection c, long id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT id, view, state, written, total, detail FROM public.outpost_rebuilds WHERE id = ?")) {
            s.setLong(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long count = rs.getLong(5);
                Long total = rs.wasNull() ? null : count;
                return Optional.of(new Request(rs.getLong(1), rs.getString(2), State.valueOf(rs.getString(3)), rs.getLong(4),
                        total, rs.getString(6)));
            }
        }
    }

    /**
     * Requests waiting or running, and those that ended within {@code ended}: newest first, at most
     * {@code limit} (what an operator watching the region wants to see).
     */
    public static List<Request> recent(Connection c, Duration ended, int limit) throws SQLException {
        List<Request> requests = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT id, view, state, written, total, detail FROM public.outpost_rebuilds "
                + "WHERE finished_at IS NULL OR finished_at > now() - ?::interval ORDER BY id DESC LIMIT ?")) {
            s.setString(1, ended.toMillis() + " milliseconds");
            s.setInt(2, limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    long count = rs.getLong(5);
                    Long total = rs.wasNull() ? null : count;
                    requests.add(new Request(rs.getLong(1), rs.getString(2), State.valueOf(rs.getString(3)), rs.getLong(4),
                            total, rs.getString(6)));
                }
            }
        }
        return requests;
    }

    /** Records progress (on a connection in auto-commit, so watchers see it at once). */
    public static void progress(Connection c, long id, State state, long written, Long total, String detail)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE public.outpost_rebuilds SET state = ?, written = ?, total = ?, "
                + "detail = ?, finished_at = CASE WHEN ? IN ('DONE', 'FAILED') THEN now() END WHERE id = ?")) {
            s.setString(1, state.name());
            s.setLong(2, written);
            if (total == null) {
                s.setNull(3, java.sql.Types.BIGINT);
            } else {
                s.setLong(3, total);
            }
            s.setString(4, detail);
            s.setString(5, state.name());
            s.setLong(6, id);
            s.executeUpdate();
        }
    }
}
