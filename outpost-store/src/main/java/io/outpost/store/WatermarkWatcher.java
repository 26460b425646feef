package io.outpost.store;

import io.outpost.core.SourcePosition;
import io.outpost.core.config.RegionConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a region's watermark through the projector's {@code NOTIFY}: one connection that
 * {@code LISTEN}s, and re-reads the watermark row after each burst of notifications. Callers wait
 * for the watermark to satisfy a condition (reach a token, be fresh enough) without polling the
 * store. When the store is unreachable the watcher retries every second, logging the outage once;
 * meanwhile {@link #current} keeps the last watermark seen and {@link #connected} says false.
 *
 * <p>Thread confinement: the watcher's own thread owns the connection; {@link #current} and the
 * waits may be called from any thread.
 */
public final class WatermarkWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatermarkWatcher.class);
    private static final ViewReads.Snapshot NOTHING = new ViewReads.Snapshot(null, null);

    private final RegionConfig.Store store;
    private final String source;
    private final String description;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moved = lock.newCondition();
    private volatile ViewReads.Snapshot current = NOTHING;
    private volatile boolean connected;
    private volatile boolean closing;
    private volatile Connection connection;
    private final Moves moves;

    /** Told of each move of the watermark the watcher was notified of, on the watcher's thread. */
    @FunctionalInterface
    public interface Moves {

        /**
         * The watermark moved to a transaction that committed at the source at {@code commitTime}
         * and was applied (its batch's statements sent) at {@code appliedAt}.
         */
        void moved(Instant commitTime, Instant appliedAt);
    }

    private WatermarkWatcher(RegionConfig.Store store, String source, String name, Moves moves) {
        this.store = store;
        this.source = source;
        this.moves = moves;
        this.description = RegionStore.description(store.url());
        this.thread = Thread.ofPlatform().name("outpost-watermark-" + name).daemon().start(this::run);
    }

    /**
     * Starts following the watermark of {@code source} in {@code store}.
     *
     * @param name what watches (a region's gateway), for the thread's name
     */
    public static WatermarkWatcher start(RegionConfig.Store store, String source, String name) {
        return start(store, source, name, (commitTime, appliedAt) -> { });
    }

    /** The same, telling {@code moves} of each move it is notified of (not of the first read). */
    public static WatermarkWatcher start(RegionConfig.Store store, String source, String name, Moves moves) {
        return new WatermarkWatcher(store, source, name, moves);
    }

    /** The last watermark seen; its position is null while the region has applied nothing (or was never reached). */
    public ViewReads.Snapshot current() {
        return current;
    }

    /** Whether the watcher is connected to the store right now. */
    public boolean connected() {
        return connected;
    }

    /**
     * Waits until the watermark satisfies {@code condition}, at most {@code timeout}.
     *
     * @return whether it does
     */
    public boolean await(Predicate<ViewReads.Snapshot> condition, Duration timeout) throws InterruptedException {
        if (condition.test(current)) {
            return true;
        }
        long remaining = timeout.toNanos();
        lock.lock();
        try {
            while (!condition.test(current)) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = moved.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code snapshot} is at or past {@code position}. */
    public static boolean reached(ViewReads.Snapshot snapshot, SourcePosition position) {
        return snapshot.position() != null && !position.isAfter(snapshot.position());
    }

    private void run() {
        boolean outageLogged = false;
        while (!closing) {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                connection = c;
                s.execute("LISTEN " + StoreLayout.WATERMARK_CHANNEL);
                read(c, false);
                connected = true;
                if (outageLogged) {
                    LOG.info("watching the watermark of {} in {} again", source, description);
                    outageLogged = false;
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closing) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications != null && notifications.length > 0) {
                        read(c, true);
                    }
                }
            } catch (SQLException e) {
                connected = false;
                if (closing) {
                    break;
                }
                if (!outageLogged) {
                    LOG.warn("cannot watch the watermark of {} in the region store at {} ({}); retrying every second, "
                            + "queries that wait for a watermark are answered by what the store shows when they run",
                            source, description, e.getMessage());
                    outageLogged = true;
                }
                try {
                    TimeUnit.SECONDS.sleep(1);
                } catch (InterruptedException interrupted) {
                    break;
                }
            } finally {
                connection = null;
            }
        }
        connected = false;
    }

    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", store.user());
        properties.setProperty("password", store.password());
        properties.setProperty("ApplicationName", "outpost watermark watcher");
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(store.url(), properties);
    }

    private void read(Connection c, boolean notified) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT position::text, commit_time, applied_at FROM public.outpost_watermark WHERE source = ?")) {
            s.setString(1, source);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                Timestamp commitTime = rs.getTimestamp(2);
                if (publish(new ViewReads.Snapshot(SourcePosition.parse(rs.getString(1)), commitTime.toInstant())) && notified) {
                    moves.moved(commitTime.toInstant(), rs.getTimestamp(3).toInstant());
                }
            }
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) { // no bookkeeping table yet: nothing applied
                throw e;
            }
        }
    }

    /** Moves the watermark forward (never back) and wakes the waiters; whether it moved. */
    private boolean publish(ViewReads.Snapshot snapshot) {
        lock.lock();
        try {
            if (current.position() == null || snapshot.position().isAfter(current.position())) {
                current = snapshot;
                moved.signalAll();
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Connection c = connection;
        if (thread.isAlive() && c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
    }
}
