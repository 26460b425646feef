package io.outpost.projector.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Statements sent to PostgreSQL in one round trip. pgjdbc sends the parts of a prepared statement
 * that holds several ({@code a; b; c}) with a single sync: each part still runs as a statement of
 * its own, after the one before it and seeing its effects, but the client waits once. A batch's
 * row writes, document recomputation and watermark go this way, which matters on a busy machine
 * where each round trip costs a context switch to the store's backend and back.
 *
 * <p>A failing part fails the whole execution, and the store transaction is spoiled: callers
 * that need to know which part failed run the parts one by one instead.
 */
final class Pipeline {

    /** A statement and its parameters: {@code String}, {@code Long}, {@code OffsetDateTime} or a text array ({@code String[]}). */
    private record Part(String sql, List<Object> parameters) {
    }

    private final List<Part> parts = new ArrayList<>();

    /** Adds a statement; its {@code ?} parameters take {@code parameters} in order. */
    void add(String sql, Object... parameters) {
        parts.add(new Part(sql, List.of(parameters)));
    }

    boolean isEmpty() {
        return parts.isEmpty();
    }

    /**
     * Runs the statements added since the last execution, in one round trip, and forgets them.
     *
     * @return the first column of the first row of the last statement, when that is a query
     *         returning a row; otherwise null
     */
    Object execute(Connection c) throws SQLException {
        if (parts.isEmpty()) {
            return null;
        }
        List<String> statements = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (Part part : parts) {
            statements.add(part.sql());
            parameters.addAll(part.parameters());
        }
        int count = parts.size();
        parts.clear();
        try (PreparedStatement s = c.prepareStatement(String.join(";\n", statements))) {
            int index = 1;
            for (Object parameter : parameters) {
                bind(c, s, index++, parameter);
            }
            boolean query = s.execute();
            Object last = null;
            for (int i = 0; i < count; i++) {
                last = null;
                if (query) {
                    try (ResultSet rs = s.getResultSet()) {
                        if (rs.next()) {
                            last = rs.getObject(1);
                        }
                    }
                }
                if (i < count - 1) {
                    query = s.getMoreResults();
                }
            }
            return last;
        }
    }

    private static void bind(Connection c, PreparedStatement s, int index, Object parameter) throws SQLException {
        switch (parameter) {
            case String text -> s.setString(index, text);
            case Long number -> s.setLong(index, number);
            case OffsetDateTime time -> s.setObject(index, time);
            case String[] texts -> s.setArray(index, c.createArrayOf("text", texts));
            default -> throw new IllegalArgumentException("no binding for a " + parameter.getClass().getName());
        }
    }
}
