package io.outpost.projector.internal;

/** What view maintenance tells a projector's metrics. */
public interface ViewMeters {

    /** Tells nothing (a rebuild run on its own, a test). */
    ViewMeters NONE = new ViewMeters() {
        @Override
        public void keys(String view, int keys) {
        }

        @Override
        public void recomputed(String view, int keys, long nanos) {
        }
    };

    /** A batch affected {@code keys} documents of {@code view}, to be recomputed. */
    void keys(String view, int keys);

    /** {@code keys} documents of {@code view} (or all of them: -1) were recomputed alone, in {@code nanos}. */
    void recomputed(String view, int keys, long nanos);
}
