package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;
import static io.outpost.core.config.Def.Setting.required;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who is asking, for every region ({@code auth}). {@code mode: none} must be written out to serve
 * without authentication; with {@code jwt}, every view needs a {@code read} policy and Outpost's
 * own endpoints need the admin scope or the service token.
 *
 * @param mode         {@code none}, {@code jwt} or {@code forward}
 * @param jwt          how bearer tokens are checked; null unless mode is jwt
 * @param forward      how the monolith is asked who the caller is; null unless mode is forward
 * @param adminScope   the scope that may read {@code /outpost/v1/regions}, {@code /outpost/v1/status},
 *                     {@code /outpost/metrics} and health's details
 * @param serviceToken the secret Outpost's own calls (probes, forwarded queries, command hops) carry
 *                     in {@code Outpost-Service-Token}; null without authentication
 * @param cursorKeys   secrets that sign page cursors: the first signs, any verifies (two during a
 *                     rotation); empty without authentication (cursors are then unsigned)
 */
public record AuthConfig(Mode mode, Jwt jwt, Forward forward, String adminScope, String serviceToken,
                         List<String> cursorKeys) {

    /** How callers are authenticated. */
    public enum Mode {
        NONE, JWT, FORWARD
    }

    /**
     * The monolith says who the caller is: the gateway sends the request's credential headers to
     * {@code url}; a 2xx JSON answer is the caller's claims, 401/403 is no caller.
     *
     * @param url          the monolith's endpoint that answers who a credential belongs to
     * @param headers      the request headers that carry the credential, passed on as they are
     * @param subject      the member of the answer that names the principal
     * @param ttl          how long an answer is used (shorter when its {@code Cache-Control: max-age} says so)
     * @param negativeTtl  how long a refusal (401/403) is used
     * @param staleIfError how long past its TTL an answer is still used while the monolith cannot answer
     * @param timeout      how long the monolith may take to answer
     */
    public record Forward(String url, List<String> headers, String subject, Duration ttl, Duration negativeTtl,
                          Duration staleIfError, Duration timeout) {
        public Forward {
            Objects.requireNonNull(url, "url");
            headers = List.copyOf(headers);
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(negativeTtl, "negativeTtl");
            Objects.requireNonNull(staleIfError, "staleIfError");
            Objects.requireNonNull(timeout, "timeout");
        }

        static final Def.Setting<String> URL = required("url", Type.HTTP_URL,
                "The monolith's endpoint that says who the caller is (e.g. https://shop.internal/api/me): it gets the "
                        + "request's credential headers and answers 2xx with the caller's claims as JSON, or 401/403.");
        static final Def.Setting<List<String>> HEADERS = optional("headers", Type.listOf(Type.string(
                "an HTTP header name", Pattern.compile("[A-Za-z0-9-]+"))), List.of("Cookie", "Authorization"),
                "The request headers that carry the caller's credential; only these are sent to url.");
        static final Def.Setting<String> SUBJECT = optional("subject", Type.NON_EMPTY, "sub",
                "The member of url's JSON answer that names the caller (its principal).");
        static final Def.Setting<Duration> TTL = optional("ttl", Type.DURATION, Duration.ofSeconds(30),
                "How long an answer is used; an answer's Cache-Control max-age shortens it.");
        static final Def.Setting<Duration> NEGATIVE_TTL = optional("negative-ttl", Type.DURATION, Duration.ofSeconds(5),
                "How long a refusal (401/403) is used.");
        static final Def.Setting<Duration> STALE_IF_ERROR = optional("stale-if-error", Type.DURATION,
                Duration.ofMinutes(5), "How long past its ttl an answer is still used while the monolith cannot answer "
                        + "(reads go on through a monolith outage this long; then 503).");
        static final Def.Setting<Duration> TIMEOUT = optional("timeout", Type.DURATION, Duration.ofSeconds(2),
                "How long url may take to answer before the request is refused with 503.");

        static final Def.Section DEF = Def.Section.of("forward", false,
                "Asking the monolith who the caller is (required when mode is forward).",
                URL, HEADERS, SUBJECT, TTL, NEGATIVE_TTL, STALE_IF_ERROR, TIMEOUT);

        static Forward read(Cursor c) {
            int before = c.problemCount();
            String url = c.get(URL);
            List<String> headers = c.get(HEADERS);
            String subject = c.get(SUBJECT);
            Duration ttl = c.get(TTL);
            Duration negative = c.get(NEGATIVE_TTL);
            Duration stale = c.get(STALE_IF_ERROR);
            Duration timeout = c.get(TIMEOUT);
            if (headers != null && headers.isEmpty()) {
                c.problem(HEADERS.key(), "must name at least one header that carries the credential, such as Cookie");
            }
            if (timeout.isZero()) {
                c.problem(TIMEOUT.key(), "must be longer than 0, but was 0");
            }
            return c.failedSince(before) ? null : new Forward(url, headers, subject, ttl, negative, stale, timeout);
        }
    }

    /** The request header in which Outpost's own calls carry the service token. */
    public static final String SERVICE_TOKEN_HEADER = "Outpost-Service-Token";

    /** The smallest secret accepted for a service token or a cursor key, in characters. */
    static final int MIN_SECRET = 32;

    /**
     * Bearer tokens (JWS) checked with nimbus-jose-jwt.
     *
     * @param jwksUrl         where the issuer's key set is fetched; null when {@code keyFile} is used
     * @param keyFile         a file with a JWK set or PEM public keys; null when {@code jwksUrl} is used
     * @param algorithms      the signature algorithms accepted, whatever a token's header says
     * @param issuer          the {@code iss} every token must carry
     * @param audience        an {@code aud} every token must include
     * @param clockSkew       how far {@code exp}, {@code nbf} and {@code iat} may be off
     * @param keysTtl         how long a fetched key set is used before it is fetched again (ahead of time)
     * @param refetchInterval the least time between two fetches for a key id the set does not have
     */
    public record Jwt(String jwksUrl, String keyFile, List<String> algorithms, String issuer, String audience,
                      Duration clockSkew, Duration keysTtl, Duration refetchInterval) {
        public Jwt {
            algorithms = List.copyOf(algorithms);
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(audience, "audience");
            Objects.requireNonNull(clockSkew, "clockSkew");
            Objects.requireNonNull(keysTtl, "keysTtl");
            Objects.requireNonNull(refetchInterval, "refetchInterval");
            if ((jwksUrl == null) == (keyFile == null)) {
                throw new IllegalArgumentException("exactly one of jwksUrl and keyFile");
            }
        }

        static final List<String> ALGORITHMS = List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                "ES256", "ES384", "ES512");

        static final Def.Setting<String> JWKS_URL = optional("jwks-url", Type.HTTP_URL, null,
                "Where the issuer publishes its key set (JWKS); either this or key-file.");
        static final Def.Setting<String> KEY_FILE = optional("key-file", Type.NON_EMPTY, null,
                "A file holding a JWK set (JSON) or PEM public keys; either this or jwks-url.");
        static final Def.Setting<List<String>> ALGS = optional("algorithms", Type.listOf(Type.oneOf(ALGORITHMS)),
                List.of("RS256", "ES256"), "Signature algorithms accepted; a token's header never widens them. "
                        + "Only public-key algorithms: a shared secret in every region could mint tokens too.");
        static final Def.Setting<String> ISSUER = required("issuer", Type.NON_EMPTY, "The iss every token must carry.");
        static final Def.Setting<String> AUDIENCE = required("audience", Type.NON_EMPTY,
                "An aud every token must include.");
        static final Def.Setting<Duration> CLOCK_SKEW = optional("clock-skew", Type.DURATION, Duration.ofSeconds(60),
                "How far exp, nbf and iat may be off between the issuer's clock and the gateway's.");
        static final Def.Setting<Duration> KEYS_TTL = optional("keys-ttl", Type.DURATION, Duration.ofMinutes(5),
                "How long a fetched key set is used; it is fetched again ahead of that, and kept while the issuer "
                        + "cannot be reached.");
        static final Def.Setting<Duration> REFETCH_INTERVAL = optional("refetch-interval", Type.DURATION,
                Duration.ofSeconds(30), "The least time between two fetches caused by a key id the set does not have.");

        static final Def.Section DEF = Def.Section.of("jwt", false, "Bearer tokens (required when mode is jwt).",
                JWKS_URL, KEY_FILE, ALGS, ISSUER, AUDIENCE, CLOCK_SKEW, KEYS_TTL, REFETCH_INTERVAL);

        static Jwt read(Cursor c) {
            int before = c.problemCount();
            String jwksUrl = c.get(JWKS_URL);
            String keyFile = c.get(KEY_FILE);
            List<String> algorithms = c.get(ALGS);
            String issuer = c.get(ISSUER);
            String audience = c.get(AUDIENCE);
            Duration skew = c.get(CLOCK_SKEW);
            Duration ttl = c.get(KEYS_TTL);
            Duration refetch = c.get(REFETCH_INTERVAL);
            if ((jwksUrl == null) == (keyFile == null) && !c.failedSince(before)) {
                c.problem(JWKS_URL.key(), jwksUrl == null ? "or key-file is required: say where the token signing keys are"
                        : "and key-file are both set; keep one");
            }
            if (algorithms != null && algorithms.isEmpty()) {
                c.problem(ALGS.key(), "must name at least one algorithm: one of " + ALGORITHMS);
            }
            if (ttl.isZero()) {
                c.problem(KEYS_TTL.key(), "must be longer than 0, but was 0");
            }
            return c.failedSince(before) ? null
                    : new Jwt(jwksUrl, keyFile, algorithms, issuer, audience, skew, ttl, refetch);
        }
    }

    static final Def.Setting<String> MODE = required("mode", Type.oneOf(List.of("none", "jwt", "forward")),
            "How callers are authenticated: jwt (bearer tokens checked in every region), forward (the monolith is asked "
                    + "who a session belongs to), or none — written out — to serve every view to anyone.");
    static final Def.Setting<String> ADMIN_SCOPE = optional("admin-scope", Type.string("one OAuth scope",
            Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+")), "outpost:admin",
            "The scope that may read /outpost/v1/regions, /outpost/v1/status, /outpost/metrics and health's details.");
    static final Def.Setting<String> SERVICE_TOKEN = optional("service-token", Type.TEXT, null,
            "A secret of at least " + MIN_SECRET + " characters (use ${ENV}) that Outpost's own calls carry between "
                    + "regions (probes, forwarded queries, command hops); required when mode is not none.");
    static final Def.Setting<List<String>> CURSOR_KEYS = optional("cursor-keys", Type.listOf(Type.TEXT), List.of(),
            "Secrets of at least " + MIN_SECRET + " characters (use ${ENV}) that sign page cursors: the first signs, "
                    + "any verifies, so a rotation lists the new key first and the old one second; empty entries are "
                    + "skipped. Required when mode is not none.");

    static final Def.Section DEF = Def.Section.of("auth", true, "Who is asking: authentication of every region's "
            + "gateway (write mode: none to serve without it).", MODE, ADMIN_SCOPE, SERVICE_TOKEN, CURSOR_KEYS, Jwt.DEF, Forward.DEF);

    public AuthConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(adminScope, "adminScope");
        cursorKeys = List.copyOf(cursorKeys);
        if (mode == Mode.JWT && jwt == null || mode == Mode.FORWARD && forward == null) {
            throw new IllegalArgumentException("mode " + mode + " needs its settings");
        }
    }

    /** No authentication: every view public, Outpost's endpoints open. */
    public static AuthConfig none() {
        return new AuthConfig(Mode.NONE, null, null, "outpost:admin", null, List.of());
    }

    /** Whether callers are authenticated at all. */
    public boolean enabled() {
        return mode != Mode.NONE;
    }

    static AuthConfig read(Cursor c) {
        int before = c.problemCount();
        String modeName = c.get(MODE);
        String adminScope = c.get(ADMIN_SCOPE);
        String serviceToken = c.get(SERVICE_TOKEN);
        List<String> cursorKeys = c.get(CURSOR_KEYS).stream().filter(key -> !key.isBlank()).toList();
        Mode mode = modeName == null ? null : Mode.valueOf(modeName.toUpperCase(java.util.Locale.ROOT));
        Cursor jwtCursor = c.section(Jwt.DEF);
        Cursor forwardCursor = c.section(Forward.DEF);
        Jwt jwt = null;
        Forward forward = null;
        if (mode == Mode.JWT) {
            if (!c.has(Jwt.DEF.key())) {
                c.problem(Jwt.DEF.key(), "is required when mode is jwt: set issuer, audience and jwks-url (or key-file)");
            } else {
                jwt = Jwt.read(jwtCursor);
            }
        } else if (mode != null && c.has(Jwt.DEF.key())) {
            c.problem(Jwt.DEF.key(), "is set but mode is " + modeName + ", so no token would be checked this way; set "
                    + "mode: jwt or remove it");
        }
        if (mode == Mode.FORWARD) {
            if (!c.has(Forward.DEF.key())) {
                c.problem(Forward.DEF.key(), "is required when mode is forward: set url, the monolith's endpoint that "
                        + "says who the caller is");
            } else {
                forward = Forward.read(forwardCursor);
            }
        } else if (mode != null && c.has(Forward.DEF.key())) {
            c.problem(Forward.DEF.key(), "is set but mode is " + modeName + ", so the monolith would not be asked; set "
                    + "mode: forward or remove it");
        }
        if (mode != null && mode != Mode.NONE) {
            if ((serviceToken == null || serviceToken.length() < MIN_SECRET) && !c.problemAt(SERVICE_TOKEN.key())) {
                c.problem(SERVICE_TOKEN.key(), (serviceToken == null ? "is required" : "is too short (" + serviceToken.length()
                        + " characters)") + " when mode is " + modeName + ": set a secret of at least " + MIN_SECRET
                        + " random characters, the same in every region, from the environment (${OUTPOST_SERVICE_TOKEN})");
            }
            if (cursorKeys.isEmpty() && !c.problemAt(CURSOR_KEYS.key())) {
                c.problem(CURSOR_KEYS.key(), "is required when mode is " + modeName + ": list a secret of at least " + MIN_SECRET
                        + " random characters, the same in every region, from the environment (${OUTPOST_CURSOR_KEY})");
            }
            cursorKeys.stream().filter(key -> key.length() < MIN_SECRET).findFirst().ifPresent(key -> c.problem(
                    CURSOR_KEYS.key(), "has a key of " + key.length() + " characters; each needs at least " + MIN_SECRET));
        }
        return c.failedSince(before) ? null : new AuthConfig(mode, jwt, forward, adminScope,
                mode == Mode.NONE ? null : serviceToken, mode == Mode.NONE ? List.of() : cursorKeys);
    }
}
