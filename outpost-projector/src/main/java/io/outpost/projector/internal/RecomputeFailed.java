package io.outpost.projector.internal;

import io.outpost.core.OutpostException;

/**
 * A batch's statements, sent together (row writes, view recomputation, watermark), failed: the
 * store transaction is spoiled, and the projector applies the batch again from the log step by
 * step — the writes alone, then view by view and key by key — to find what fails (and stop, or
 * record a failing view and key).
 */
public final class RecomputeFailed extends OutpostException.Retriable {

    private static final long serialVersionUID = 1L;

    RecomputeFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
