package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How every region's projector applies the change log to its store.
 *
 * @param batchMaxRows  consecutive source transactions share one store transaction up to this many
 *                      rows (a larger source transaction is never split)
 * @param batchMaxDelay how long a store transaction may stay open collecting more source transactions
 * @param onViewError   what an error in a view's SQL for one key does: stop the projector, or record
 *                      it in {@code outpost_errors} and go on
 */
public record ProjectorConfig(int batchMaxRows, Duration batchMaxDelay, OnViewError onViewError) {

    /** What the projector does when a view's SQL fails for a key. */
    public enum OnViewError {
        /** Stop, naming the view, the key and the position: nothing after it is applied. */
        STOP,
        /** Record the failure in {@code outpost_errors}, leave that document as it was, and go on. */
        RECORD
    }

    static final Def.Setting<Integer> BATCH_MAX_ROWS = optional("batch-max-rows", Type.integer(1, 1_000_000), 5000,
            "Consecutive source transactions share one store transaction up to this many rows; one larger "
                    + "source transaction is applied whole, never split.");
    static final Def.Setting<Duration> BATCH_MAX_DELAY = optional("batch-max-delay", Type.DURATION,
            Duration.ofMillis(20), "How long a store transaction may wait for more source transactions before it commits.");
    static final Def.Setting<String> ON_VIEW_ERROR = optional("on-view-error",
            Type.string("stop or record", Pattern.compile("stop|record")), "stop",
            "An error in a view's SQL for one key: stop (the default: nothing after it is applied) or record "
                    + "(write it to outpost_errors in the store, keep that document as it was, and go on).");

    static final Def.Section DEF = Def.Section.of("projector", false,
            "How each region's projector applies the change log to its store.",
            BATCH_MAX_ROWS, BATCH_MAX_DELAY, ON_VIEW_ERROR);

    public ProjectorConfig {
        Objects.requireNonNull(batchMaxDelay, "batchMaxDelay");
        Objects.requireNonNull(onViewError, "onViewError");
    }

    /** The defaults. */
    public static ProjectorConfig defaults() {
        return new ProjectorConfig(5000, Duration.ofMillis(20), OnViewError.STOP);
    }

    static ProjectorConfig read(Cursor c) {
        int before = c.problemCount();
        int rows = c.get(BATCH_MAX_ROWS);
        Duration delay = c.get(BATCH_MAX_DELAY);
        String onError = c.get(ON_VIEW_ERROR);
        return c.failedSince(before) ? null
                : new ProjectorConfig(rows, delay, OnViewError.valueOf(onError.toUpperCase(java.util.Locale.ROOT)));
    }
}
