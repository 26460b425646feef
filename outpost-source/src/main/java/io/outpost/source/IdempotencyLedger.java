package io.outpost.source;

import io.outpost.core.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The idempotency ledger: which {@code Idempotency-Key}s the monolith has seen through Outpost, and
 * what it answered. It lives in schema {@code outpost} of the source database — the only strongly
 * consistent store every region's dispatcher shares — so a retry through another region, also
 * after a failover, finds the first attempt.
 *
 * <p>A key is {@link #claim claimed} before its command is sent (one row, state {@code IN_FLIGHT},
 * with a claim id of its own; the primary key makes concurrent claims race to one winner), marked
 * {@link #markSent sent} just before the command goes to the monolith — a compare-and-set on the
 * claim id, the fence that keeps a superseded claimer from sending — then {@link #complete completed}
 * with the response, or {@link #release released} when the command was certainly not applied.
 * A claim that was never marked sent may be taken over after {@link #UNSENT_LEASE} (its claimer
 * died or stopped before sending: the command cannot have been applied, and the claimer can no
 * longer mark it). A claim marked sent is never taken over: the monolith may have applied it, so
 * it is not sent again; a retry learns it is in flight ({@link InFlight}), and the gateway says
 * the outcome is unknown once the claimer's region is DOWN or the in-flight limit passed — and
 * replays the answer if the claimer comes back and records it. Rows are kept for a day.
 */
public final class IdempotencyLedger {

    /** How long completed keys are remembered. */
    public static final Duration RETENTION = Duration.ofHours(24);

    /** The ledger's table, for {@code outpost init-source} to make ahead of the gateways. */
    public static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS outpost.idempotency (
                key           text PRIMARY KEY,
                request_hash  text NOT NULL,
                state         text NOT NULL CHECK (state IN ('IN_FLIGHT', 'DONE')),
                claimed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
                claimed_by    text NOT NULL,
                finished_at   timestamptz,
                status        int,
                headers       jsonb,
                body          bytea,
                token         text,
                claim_id      text,
                sent_at       timestamptz
            );
            CREATE INDEX IF NOT EXISTS idempotency_finished_at ON outpost.idempotency (finished_at);
            """;

    /** The columns added since the table's first version, for a ledger made by an older Outpost. */
    private static final String CLAIM_COLUMNS = "ALTER TABLE outpost.idempotency ADD COLUMN IF NOT EXISTS claim_id text, "
            + "ADD COLUMN IF NOT EXISTS sent_at timestamptz";

    /**
     * How long a claim that was never marked sent is left to its claimer: between claiming and
     * marking there is one round trip to the source, so a claim unsent for this long belongs to a
     * claimer that died or stopped, and taking it over is safe (its mark would fail).
     */
    public static final Duration UNSENT_LEASE = Duration.ofSeconds(1);

    /** What a claim found. */
    public sealed interface Claim permits Claimed, InFlight, Done, Mismatch {
    }

    /** The key is this caller's: {@link #markSent mark it sent}, send the command, then complete or release. */
    public record Claimed(String key, String claimId) implements Claim {
    }

    /**
     * Another attempt holds the key and has not finished.
     *
     * @param claimedBy who holds it (the {@code by} of its claim)
     * @param sent      whether its command went to the monolith (then it may have been applied)
     * @param expired   whether it has been in flight longer than the in-flight limit
     */
    public record InFlight(String key, String claimedBy, boolean sent, boolean expired) implements Claim {
    }

    /** The key's command was answered; this is the answer. */
    public record Done(String key, int status, String headersJson, byte[] body, String token) implements Claim {
    }

    /** The key was used for a different request. */
    public record Mismatch(String key) implements Claim {
    }

    private final DataSource source;
    private final String sourceName;
    private final Duration inFlightLimit;
    private volatile boolean ready;
    private volatile long cleanedAt;

    /**
     * @param inFlightLimit after how long an unfinished claim is presumed abandoned and may be taken over
     */
    public IdempotencyLedger(DataSource source, String sourceName, Duration inFlightLimit) {
        this.source = Objects.requireNonNull(source, "source");
        this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
        this.inFlightLimit = Objects.requireNonNull(inFlightLimit, "inFlightLimit");
    }

    /** A digest of what makes two requests the same: method, path with query, body. */
    public static String requestHash(String method, String pathAndQuery, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(method.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(pathAndQuery.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(body);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Claims {@code key} for a request with {@code requestHash}, or reports who has it.
     *
     * @param by who claims (a region's gateway), recorded for diagnosis
     * @throws OutpostException.Retriable when the source database cannot be reached
     */
    public Claim claim(String key, String requestHash, String by) {
        try (Connection c = source.getConnection()) {
            ensureSchema(c);
            cleanUp(c);
            String claimId = UUID.randomUUID().toString();
            try (PreparedStatement s = c.prepareStatement("INSERT INTO outpost.idempotency (key, request_hash, state, claimed_by, "
                    + "claim_id) VALUES (?, ?, 'IN_FLIGHT', ?, ?) ON CONFLICT (key) DO NOTHING")) {
                s.setString(1, key);
                s.setString(2, requestHash);
                s.setString(3, by);
                s.setString(4, claimId);
                if (s.executeUpdate() == 1) {
                    return new Claimed(key, claimId);
                }
            }
            String heldBy;
            try (PreparedStatement s = c.prepareStatement("SELECT request_hash, state, claimed_by, status, headers::text, body, token, "
                    + "sent_at IS NOT NULL, clock_timestamp() - claimed_at > ?::interval, clock_timestamp() - claimed_at > ?::interval, "
                    + "claim_id FROM outpost.idempotency WHERE key = ?")) {
                s.setString(1, inFlightLimit.toMillis() + " milliseconds");
                s.setString(2, UNSENT_LEASE.toMillis() + " milliseconds");
                s.setString(3, key);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return claim(key, requestHash, by); // released meanwhile
                    }
                    if (!rs.getString(1).equals(requestHash)) {
                        return new Mismatch(key);
                    }
                    if (rs.getString(2).equals("DONE")) {
                        return new Done(key, rs.getInt(4), rs.getString(5), rs.getBytes(6), rs.getString(7));
                    }
                    boolean sent = rs.getBoolean(8);
                    if (sent || !rs.getBoolean(10)) {
                        return new InFlight(key, rs.getString(3), sent, rs.getBoolean(9));
                    }
                    heldBy = rs.getString(11);
                }
            }
            // never sent, and left unsent past its lease: its claimer died or stopped before sending; take it over
            // (the claimer's markSent then fails, so it cannot send after all), unless another attempt just did
            try (PreparedStatement s = c.prepareStatement("UPDATE outpost.idempotency SET claimed_at = clock_timestamp(), "
                    + "claimed_by = ?, claim_id = ? WHERE key = ? AND state = 'IN_FLIGHT' AND sent_at IS NULL "
                    + "AND claim_id IS NOT DISTINCT FROM ?")) {
                s.setString(1, by);
                s.setString(2, claimId);
                s.setString(3, key);
                s.setString(4, heldBy);
                return s.executeUpdate() == 1 ? new Claimed(key, claimId) : claim(key, requestHash, by);
            }
        } catch (SQLException e) {
            throw unreachable(e);
        }
    }

    /**
     * Marks a claim's command as about to be sent — only while the claim is still this claimer's.
     *
     * @return false when another attempt took the claim over (this one must not send the command)
     * @throws OutpostException.Retriable when the source database cannot be reached (do not send either)
     */
    public boolean markSent(Claimed claim) {
        try (Connection c = source.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE outpost.idempotency "
                + "SET sent_at = clock_timestamp() WHERE key = ? AND claim_id = ? AND state = 'IN_FLIGHT' AND sent_at IS NULL")) {
            s.setString(1, claim.key());
            s.setString(2, claim.claimId());
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw unreachable(e);
        }
    }

    /** Records the answer to a claimed key's command. */
    public void complete(String key, int status, String headersJson, byte[] body, String token) {
        try (Connection c = source.getConnection(); PreparedStatement s = c.prepareStatement("UPDATE outpost.idempotency SET "
                + "state = 'DONE', finished_at = clock_timestamp(), status = ?, headers = ?::jsonb, body = ?, token = ? WHERE key = ?")) {
            s.setInt(1, status);
            s.setString(2, headersJson);
            s.setBytes(3, body);
            s.setString(4, token);
            s.setString(5, key);
            s.executeUpdate();
        } catch (SQLException e) {
            throw unreachable(e);
        }
    }

    /** Forgets a claim whose command was certainly not applied, so that a retry sends it again. */
    public void release(Claimed claim) {
        try (Connection c = source.getConnection(); PreparedStatement s = c.prepareStatement(
                "DELETE FROM outpost.idempotency WHERE key = ? AND claim_id = ? AND state = 'IN_FLIGHT'")) {
            s.setString(1, claim.key());
            s.setString(2, claim.claimId());
            s.executeUpdate();
        } catch (SQLException e) {
            throw unreachable(e);
        }
    }

    private void ensureSchema(Connection c) throws SQLException {
        if (ready) {
            return;
        }
        try (Statement s = c.createStatement()) {
            // concurrent CREATE IF NOT EXISTS can still collide in the catalog: serialize them
            s.execute("SELECT pg_advisory_lock(hashtextextended('outpost-idempotency-schema', 0))");
            try {
                // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: only when missing
                // (outpost init-source makes it, owned by the configured user, which then needs no more)
                // and CREATE TABLE IF NOT EXISTS needs CREATE on the schema: a gateway-user that may only write the
                // ledger finds it made by outpost init-source
                boolean noSchema;
                boolean noTable;
                boolean noClaimColumns;
                try (ResultSet rs = s.executeQuery("SELECT to_regnamespace('outpost') IS NULL, "
                        + "to_regclass('outpost.idempotency') IS NULL, NOT EXISTS (SELECT 1 FROM information_schema.columns "
                        + "WHERE table_schema = 'outpost' AND table_name = 'idempotency' AND column_name = 'sent_at')")) {
                    rs.next();
                    noSchema = rs.getBoolean(1);
                    noTable = rs.getBoolean(2);
                    noClaimColumns = rs.getBoolean(3);
                }
                if (noSchema) {
                    s.execute("CREATE SCHEMA IF NOT EXISTS outpost");
                }
                if (noTable) {
                    s.execute(SCHEMA);
                } else if (noClaimColumns) {
                    s.execute(CLAIM_COLUMNS); // a ledger made by an Outpost before claims were fenced
                }
            } finally {
                s.execute("SELECT pg_advisory_unlock(hashtextextended('outpost-idempotency-schema', 0))");
            }
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new OutpostException("the idempotency ledger needs schema outpost in source " + sourceName
                        + " and the configured user may not create it: " + e.getMessage() + ". Run, as the database owner: "
                        + "CREATE SCHEMA outpost AUTHORIZATION <outpost user>; (outpost init-source prints it)", e);
            }
            throw e;
        }
        ready = true;
    }

    private void cleanUp(Connection c) throws SQLException {
        long now = System.nanoTime();
        if (now - cleanedAt < Duration.ofMinutes(1).toNanos() && cleanedAt != 0) {
            return;
        }
        cleanedAt = now;
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM outpost.idempotency WHERE finished_at < clock_timestamp() - ?::interval")) {
            s.setString(1, RETENTION.toHours() + " hours");
            s.executeUpdate();
        }
    }

    private OutpostException.Retriable unreachable(SQLException e) {
        return new OutpostException.Retriable("the idempotency ledger in source " + sourceName + " cannot be reached: "
                + e.getMessage(), e);
    }
}
