package io.outpost.gateway.internal;

/**
 * Who a request comes from, by the credential it carries: {@link Authentication} checks bearer
 * tokens itself ({@code auth.mode: jwt}); {@link ForwardAuthenticator} asks the monolith
 * ({@code forward}).
 */
interface Authenticator {

    /** The request headers, by name (case-insensitive); null where absent. */
    interface Credentials {
        String header(String name);
    }

    /** A credential that does not identify anyone: 401 with the reason (for the log, not the client). */
    final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Nobody can say now who the caller is (no signing keys, the monolith does not answer): 503. */
    final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * The caller of a request: {@link Caller#ANONYMOUS} when it carries no credential.
     *
     * @throws Rejected    when its credential does not identify anyone
     * @throws Unavailable when nobody can tell now
     */
    Caller caller(Credentials request) throws Rejected, Unavailable;
}
