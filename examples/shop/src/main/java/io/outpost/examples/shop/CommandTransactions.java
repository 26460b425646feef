package io.outpost.examples.shop;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.HexFormat;
import javax.sql.DataSource;

/**
 * Runs one command in one database transaction: plainly, honouring its {@code Idempotency-Key}
 * (the first answer stored and replayed), or witnessing it (run every time, each run written down).
 */
final class CommandTransactions {

    /** A command: its effect on the database and its answer. */
    @FunctionalInterface
    interface Command {
        Reply run(Connection c, Body body) throws SQLException;
    }

    @FunctionalInterface
    private interface Work {
        Reply run(Connection c) throws SQLException;
    }

    private final DataSource dataSource;

    CommandTransactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The command alone. */
    Reply once(Command command, Body body) throws SQLException {
        return inTransaction(c -> command.run(c, body));
    }

    /** The command, run whatever its key, and a row saying so in the same transaction (problems included). */
    Reply witnessed(Context ctx, String key, Command command, Body body) throws SQLException {
        return inTransaction(c -> {
            Reply reply = keepingProblems(c, ctx, command, body);
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO commands_witnessed (key, method_path, status) VALUES (?, ?, ?)")) {
                s.setString(1, key);
                s.setString(2, ctx.method() + " " + ctx.path());
                s.setInt(3, reply.status());
                s.executeUpdate();
            }
            return reply;
        });
    }

    /**
     * The key's row is inserted first, in the command's own transaction: a concurrent request with
     * the same key blocks on it until this one commits, then sees the stored response. A command that
     * fails with a problem (4xx) is rolled back to a savepoint and its response is stored too, so a
     * retry gets the same answer; an unexpected failure rolls everything back and the key stays free.
     */
    Reply idempotent(Context ctx, String key, byte[] raw, Command command, Body body) throws SQLException {
        String hash = hash(ctx.method() + " " + ctx.path() + "\n", raw);
        return inTransaction(c -> {
            boolean first;
            try (PreparedStatement s = c.prepareStatement("INSERT INTO idempotency_keys (key, request_hash) "
                    + "VALUES (?, ?) ON CONFLICT (key) DO NOTHING")) {
                s.setString(1, key);
                s.setString(2, hash);
                first = s.executeUpdate() == 1;
            }
            if (!first) {
                Reply stored = stored(c, key, hash);
                c.rollback();
                ctx.header("Idempotent-Replayed", "true");
                return stored;
            }
            Reply reply = keepingProblems(c, ctx, command, body);
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE idempotency_keys SET status = ?, body = ?, location = ? WHERE key = ?")) {
                s.setInt(1, reply.status());
                s.setString(2, reply.body());
                s.setString(3, reply.location());
                s.setString(4, key);
                s.executeUpdate();
            }
            return reply;
        });
    }

    /** {@code work} in a transaction of its own: committed when it returns, rolled back when it throws. */
    private Reply inTransaction(Work work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Reply reply = work.run(c);
                c.commit();
                return reply;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** The command's answer; a problem (4xx) it throws is undone to a savepoint and answered, the transaction goes on. */
    private static Reply keepingProblems(Connection c, Context ctx, Command command, Body body) throws SQLException {
        Savepoint beforeCommand = c.setSavepoint();
        try {
            return command.run(c, body);
        } catch (Problem problem) {
            c.rollback(beforeCommand);
            return Reply.of(problem, ctx.path());
        }
    }

    private static Reply stored(Connection c, String key, String hash) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT request_hash, status, body, location FROM idempotency_keys WHERE key = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (!rs.getString(1).equals(hash)) {
                    throw new Problem(422, "idempotency-key-reused", "The Idempotency-Key was used for another request",
                            "the Idempotency-Key \"" + key + "\" was first used with a different request; "
                                    + "use a new key for a new request");
                }
                return new Reply(rs.getInt(2), rs.getString(3), rs.getString(4));
            }
        }
    }

    /** A SHA-256 of {@code head} and {@code body}, in hex. */
    static String hash(String head, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(head.getBytes(StandardCharsets.UTF_8));
            digest.update(body);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
