package io.outpost.projector.internal;

import io.outpost.core.OutpostException;

/**
 * The one statement that recomputes a batch's documents failed: the store transaction is spoiled,
 * and the projector applies the batch again from the log, view by view and key by key, to find
 * which view and key fail (and stop, or record them).
 */
public final class RecomputeFailed extends OutpostException.Retriable {

    private static final long serialVersionUID = 1L;

    RecomputeFailed(String message, Throwable cause) {
        super(message, cause);
    }
}
