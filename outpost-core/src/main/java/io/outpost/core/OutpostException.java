package io.outpost.core;

/**
 * The root of every exception Outpost throws on purpose. Subtypes say whether trying again can help
 * ({@link Retriable}) or not; messages name the thing, the problem and what happens next.
 */
public class OutpostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public OutpostException(String message) {
        super(message);
    }

    public OutpostException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A failure that may pass: an unreachable database or broker. Callers retry with backoff. */
    public static class Retriable extends OutpostException {

        private static final long serialVersionUID = 1L;

        public Retriable(String message) {
            super(message);
        }

        public Retriable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
