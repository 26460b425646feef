package io.outpost.gateway.internal;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who sent a request, as its credential says once verified.
 *
 * @param subject the principal ({@code sub}); null for an anonymous caller
 * @param scopes  the scopes it was granted ({@code scope}, space-separated, or {@code scp}, a list)
 * @param claims  every claim of its token, as nimbus-jose-jwt reads them (strings, numbers, lists, maps)
 */
public record Caller(String subject, Set<String> scopes, Map<String, Object> claims) {

    /** A request without a credential. */
    public static final Caller ANONYMOUS = new Caller(null, Set.of(), Map.of());

    public Caller {
        scopes = Set.copyOf(scopes);
        claims = Map.copyOf(claims);
        if (subject == null && !claims.isEmpty()) {
            throw new IllegalArgumentException("a caller with claims has a subject");
        }
    }

    public boolean anonymous() {
        return subject == null;
    }

    public boolean has(String scope) {
        return scopes.contains(Objects.requireNonNull(scope, "scope"));
    }
}
