package io.outpost.projector.internal;

/** What view maintenance tells a projector's metrics. */
public interface ViewMeters {

    /** A batch affected {@code keys} documents of {@code view}, to be recomputed. */
    void keys(String view, int keys);

    /** {@code keys} documents of {@code view} (or all of them: -1) were recomputed alone, in {@code nanos}. */
    void recomputed(String view, int keys, long nanos);
}
