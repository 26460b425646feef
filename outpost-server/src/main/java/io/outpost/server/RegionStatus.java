package io.outpost.server;

import io.outpost.core.SourcePosition;
import io.outpost.core.config.OutpostConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.core.region.RegionHealth;
import io.outpost.source.CaptureSlot;
import io.outpost.store.Rebuilds;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewTables;
import io.outpost.store.Watermark;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where each region stands: its watermark, how far behind the source it is (bytes of WAL and
 * time since the watermark's commit), and its views' states — read from the stores themselves.
 *
 * @param watermark empty when the region has applied nothing yet
 * @param behind    WAL bytes between the watermark and the source's current position; -1 if unknown
 * @param staleness time from the watermark's commit at the source to now; null if unknown
 * @param rebuilds  rebuild requests waiting or running, or ended within 15 minutes, newest first
 * @param problem   why the region could not be read; null otherwise
 */
public record RegionStatus(String region, Optional<Watermark> watermark, long behind, Duration staleness,
                    Map<String, ViewTables.State> views, List<Rebuilds.Request> rebuilds, String problem) {

    /** Every region's status; {@code sourcePosition} is the source's current WAL position, if known. */
    public static List<RegionStatus> of(OutpostConfig config, Optional<SourcePosition> sourcePosition, Instant now) {
        List<RegionStatus> all = new ArrayList<>();
        for (RegionConfig region : config.regions().values()) {
            all.add(of(config, region, sourcePosition, now));
        }
        return all;
    }

    private static RegionStatus of(OutpostConfig config, RegionConfig region, Optional<SourcePosition> source, Instant now) {
        try (RegionStore store = RegionStore.open(region.store(), "status", 1); Connection c = store.connect()) {
            Optional<Watermark> watermark = RegionStore.watermark(c, config.source().name());
            Map<String, ViewTables.State> views = new LinkedHashMap<>();
            List<Rebuilds.Request> rebuilds = List.of();
            try {
                ViewTables.registered(c).forEach((name, view) -> views.put(name, view.state()));
                rebuilds = Rebuilds.recent(c, Duration.ofMinutes(15), 10);
            } catch (SQLException e) {
                // no bookkeeping yet: no views either
            }
            long behind = watermark.isPresent() && source.isPresent()
                    ? Math.max(0, source.get().lsn() - watermark.get().position().lsn()) : -1;
            // clocks of source and here differ by a little: a watermark is never "in the future"
            Duration staleness = watermark.map(w -> Duration.between(w.commitTime(), now))
                    .map(d -> d.isNegative() ? Duration.ZERO : d).orElse(null);
            return new RegionStatus(region.name(), watermark, behind, staleness, views, rebuilds, null);
        } catch (SQLException | RuntimeException e) {
            return new RegionStatus(region.name(), Optional.empty(), -1, null, Map.of(), List.of(),
                    "cannot read the store at " + region.store().url() + ": " + e.getMessage());
        }
    }

    /** The source's current WAL position, or empty (with the reason logged by the caller) when unreachable. */
    public static Optional<SourcePosition> sourcePosition(OutpostConfig config) {
        try (Connection c = source(config); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Optional.of(SourcePosition.parse(rs.getString(1)));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** Capture as the source sees it: its slot streamed from or not, and the WAL it has not confirmed. */
    public static CaptureSlot capture(OutpostConfig config) {
        try (Connection c = source(config)) {
            return CaptureSlot.read(c, config.source().slot());
        } catch (SQLException e) {
            return CaptureSlot.unknown(config.source().slot(), e.getMessage());
        }
    }

    private static Connection source(OutpostConfig config) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", config.source().user());
        properties.setProperty("password", config.source().password());
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(config.source().url(), properties);
    }

    /** A view's state, with its latest rebuild's progress when one waits, runs or ended lately: {@code orders rebuilding 40 %}. */
    String view(String name) {
        String state = views.get(name).name().toLowerCase(java.util.Locale.ROOT);
        return rebuilds.stream().filter(r -> r.view().equals(name)).findFirst().map(r -> switch (r.state()) {
            case REQUESTED -> name + " " + state + ", rebuild requested";
            case RUNNING -> name + " rebuilding" + (r.total() == null ? "" : String.format(" %,d of %,d documents (%d %%)",
                    r.written(), r.total(), 100 * r.written() / Math.max(1, r.total())));
            case DONE -> name + " " + state + " (rebuilt)";
            case FAILED -> name + " " + state + " (rebuild failed: " + r.detail() + ")";
        }).orElse(name + " " + state);
    }

    /** {@code us-east 0/1A2B3C4 (0.4 s, 0 B behind)}: one region in a line. */
    String compact() {
        return region + " " + details();
    }

    /** The same, with the region's effective state after its name: {@code eu-west UP 0/2EB38E8 (…)}. */
    public String compact(RegionHealth state) {
        return region + " " + state + " " + details();
    }

    private String details() {
        if (problem != null) {
            return "unreachable";
        }
        if (watermark.isEmpty()) {
            return "(nothing applied yet)";
        }
        return watermark.get().position() + " (" + seconds(staleness) + ", " + bytes(behind) + " behind)";
    }

    static String seconds(Duration d) {
        return d == null ? "?" : String.format("%.1f s", d.toMillis() / 1000.0);
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 2.0 MiB}; {@code ?} when negative (unknown). */
    public static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024) {
            return n + " B";
        }
        return n < 1024 * 1024 ? String.format("%.1f KiB", n / 1024.0) : String.format("%.1f MiB", n / 1048576.0);
    }
}
