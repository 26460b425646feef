package io.outpost.examples.shop;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The shop's own check of who is calling: bearer tokens (RS256 or ES256) from the issuer whose
 * public keys it is given. The shop is the monolith, the authority: Outpost passes the same
 * credentials to it and applies the same rules to reads in the regions.
 *
 * <p>A customer's token has its customer id as {@code sub} and the scope {@code orders:read}; staff
 * have {@code orders:read:all}. Customers see and change their own orders and customer record;
 * staff everything; products are public.
 */
public final class ShopAuth {

    /** The scope of staff: every order and customer. */
    public static final String STAFF = "orders:read:all";
    /** The scope of a customer: its own orders and record. */
    public static final String CUSTOMER = "orders:read";

    /** A verified caller: {@code sub} and scopes. */
    public record Caller(String subject, Set<String> scopes) {
        public Caller {
            Objects.requireNonNull(subject, "subject");
            scopes = Set.copyOf(scopes);
        }

        public boolean staff() {
            return scopes.contains(STAFF);
        }

        /** Whether this caller is the customer {@code customerId} (and has the customer scope). */
        public boolean isCustomer(long customerId) {
            return scopes.contains(CUSTOMER) && subject.equals(Long.toString(customerId));
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    /**
     * @param keys     the issuer's public keys
     * @param issuer   the {@code iss} every token must carry
     * @param audience an {@code aud} every token must include
     */
    public ShopAuth(JWKSet keys, String issuer, String audience) {
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
                new ImmutableJWKSet<>(keys.toPublicJWKSet())));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(audience,
                new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("sub", "exp")));
    }

    /**
     * The caller of a request with this {@code Authorization} header.
     *
     * @throws Problem 401 when there is none or it does not verify
     */
    Caller caller(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("send a bearer token in the Authorization header");
        }
        try {
            JWTClaimsSet claims = processor.process(authorization.substring(7).strip(), null);
            Set<String> scopes = new HashSet<>();
            Object scope = claims.getClaim("scope");
            if (scope instanceof String text) {
                scopes.addAll(List.of(text.split(" ")));
            }
            return new Caller(claims.getSubject(), scopes);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw unauthenticated("the bearer token is not valid");
        }
    }

    private static Problem unauthenticated(String detail) {
        return new Problem(401, "unauthenticated", "Authentication needed", detail);
    }
}
