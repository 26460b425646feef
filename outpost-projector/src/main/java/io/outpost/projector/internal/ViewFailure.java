package io.outpost.projector.internal;

import io.outpost.core.OutpostException;

/** A view's SQL failed for a key: the projector stops (unless configured to record it and go on). */
public final class ViewFailure extends OutpostException {

    private static final long serialVersionUID = 1L;

    ViewFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
