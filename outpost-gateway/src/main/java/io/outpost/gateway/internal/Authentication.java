package io.outpost.gateway.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.outpost.core.Ticker;
import io.outpost.core.config.AuthConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who a request comes from: its bearer token ({@code Authorization: Bearer …}) verified with
 * nimbus-jose-jwt against the issuer's keys ({@link KeySet}).
 *
 * <p>What is accepted comes from the configuration alone: the algorithms (a token's {@code alg}
 * only picks among them; {@code none} and HMAC never pass), the issuer, an audience, and the time
 * window ({@code exp}, {@code nbf}, {@code iat}) with the configured skew. A key is chosen by the
 * token's {@code kid} and by the algorithm's key type, so an {@code oct} key never verifies an RSA or
 * EC signature.
 *
 * <p>A verified token is kept (by its SHA-256, never as text) until its {@code exp} or for the key
 * set's TTL, whichever is first: a signature is checked once per token, and a key the issuer removes
 * stops verifying within one TTL.
 */
final class Authentication implements Authenticator {

    private final AuthConfig.Jwt settings;
    private final KeySet keys;
    private final InstantSource clock;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final Cache<String, Verified> verified;

    private record Verified(Caller caller, Instant until) {
    }

    Authentication(AuthConfig.Jwt settings, KeySet keys, InstantSource clock, Ticker ticker) {
        this.settings = settings;
        this.keys = keys;
        this.clock = clock;
        Set<JWSAlgorithm> algorithms = settings.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
        this.processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(settings.audience(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("sub", "exp", "iss", "aud")) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        this.verified = Caffeine.newBuilder().maximumSize(100_000).ticker(ticker::read).executor(Runnable::run)
                .expireAfter(Expiry.<String, Verified>creating((token, entry) -> {
                    Duration left = Duration.between(clock.instant(), entry.until());
                    return left.isNegative() ? Duration.ZERO : left;
                })).build();
    }

    @Override
    public Caller caller(Credentials request) throws Rejected, Unavailable {
        try {
            return bearer(request.header("Authorization"));
        } catch (KeySet.Unavailable e) {
            throw new Unavailable(e.getMessage());
        }
    }

    /** The key set, for its figures. */
    KeySet keys() {
        return keys;
    }

    /**
     * The caller of a request whose {@code Authorization} header is {@code authorization}:
     * {@link Caller#ANONYMOUS} when there is none.
     *
     * @throws Rejected when the header is not a bearer token that verifies
     * @throws KeySet.Unavailable when no signing keys can be had (nothing fetched yet, issuer unreachable)
     */
    Caller bearer(String authorization) throws Rejected, KeySet.Unavailable {
        if (authorization == null) {
            return Caller.ANONYMOUS;
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() == 7) {
            throw new Rejected("the Authorization header is not a bearer token");
        }
        String token = authorization.substring(7).strip();
        String hash = sha256(token);
        Verified known = verified.getIfPresent(hash);
        if (known != null && known.until().isAfter(clock.instant())) {
            return known.caller();
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (KeySet.Unavailable e) {
            throw e;
        } catch (ParseException e) {
            throw new Rejected("the token is not a JWT: " + e.getMessage());
        } catch (BadJOSEException | JOSEException e) {
            throw new Rejected(e.getMessage());
        }
        Instant now = clock.instant();
        Date issuedAt = claims.getIssueTime();
        if (issuedAt != null && issuedAt.toInstant().isAfter(now.plus(settings.clockSkew()))) {
            throw new Rejected("the token was issued in the future (iat " + issuedAt.toInstant() + ")");
        }
        Caller caller = callerOf(claims);
        Instant until = claims.getExpirationTime().toInstant().plus(settings.clockSkew());
        Instant keysTtl = now.plus(settings.keysTtl());
        verified.put(hash, new Verified(caller, until.isBefore(keysTtl) ? until : keysTtl));
        return caller;
    }

    private static Caller callerOf(JWTClaimsSet claims) throws Rejected {
        String subject;
        try {
            subject = claims.getStringClaim("sub");
        } catch (ParseException e) {
            throw new Rejected("the token's sub is not a string");
        }
        Set<String> scopes = new HashSet<>();
        Object scope = claims.getClaim("scope");
        if (scope instanceof String text) {
            for (String one : text.split(" ")) {
                if (!one.isEmpty()) {
                    scopes.add(one);
                }
            }
        }
        if (claims.getClaim("scp") instanceof List<?> list) {
            list.stream().filter(String.class::isInstance).map(String.class::cast).forEach(scopes::add);
        }
        Map<String, Object> values = new HashMap<>();
        claims.getClaims().forEach((name, value) -> {
            if (value != null) {
                values.put(name, value);
            }
        });
        return new Caller(subject, scopes, values);
    }

    /** A SHA-256 to clone: cheaper than looking the algorithm up among the providers on every request. */
    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String sha256(String text) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException impossible) {
                throw new IllegalStateException("every JDK has SHA-256", impossible);
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
