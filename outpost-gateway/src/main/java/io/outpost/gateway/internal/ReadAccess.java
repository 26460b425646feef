package io.outpost.gateway.internal;

import io.javalin.http.Context;
import io.outpost.core.config.AuthConfig;
import io.outpost.core.config.ViewDefinition;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may read what in one gateway: the caller of a request ({@link Authentication}), what it may
 * see of a view ({@link ReadRules}), whether it may read Outpost's own endpoints, and whether a
 * request comes from another part of Outpost (the service token).
 *
 * <p>With {@code auth.mode: forward} the caller is whoever the monolith says ({@link ForwardAuthenticator}).
 *
 * <p>Answers: no or a bad credential where one is needed is 401 with
 * {@code WWW-Authenticate: Bearer error="invalid_token"}; a caller no rule of the view applies to is
 * 403 {@code insufficient_scope}; the signing keys not to be had is 503 {@code auth-unavailable}.
 * A row a caller may not see is answered by the caller of this class exactly as a missing one.
 * Every refusal is one line of the {@code io.outpost.audit} log (never the token) and a count in
 * {@code outpost_auth_decisions_total}.
 */
public final class ReadAccess {

    private static final Logger AUDIT = LoggerFactory.getLogger("io.outpost.audit");

    private final String region;
    private final AuthConfig auth;
    /** null without authentication. */
    private final Authenticator authentication;
    private final Map<String, ReadRules> rules = new HashMap<>();
    private final byte[] serviceToken;
    private final GatewayMetrics metrics;
    /**
     * Decisions per caller and view: a caller is the same object for as long as its token (or
     * credential) is remembered, so the rules are compiled for it once, not per request. Weak keys:
     * by identity, and gone with the caller.
     */
    private final com.github.benmanes.caffeine.cache.Cache<Caller, Map<String, ReadRules.Decision>> decisions =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().weakKeys().maximumSize(100_000)
                    .executor(Runnable::run).build();

    ReadAccess(String region, AuthConfig auth, Authenticator authentication, Map<String, ViewDefinition> views,
               GatewayMetrics metrics) {
        this.region = region;
        this.auth = auth;
        this.authentication = authentication;
        views.forEach((name, view) -> rules.put(name, new ReadRules(view, auth.enabled())));
        this.serviceToken = auth.serviceToken() == null ? null : auth.serviceToken().getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;
        if (authentication instanceof Authentication jwt) {
            metrics.keySet(jwt.keys());
        }
    }

    /**
     * The read access of a gateway of {@code region} configured by {@code auth}.
     *
     * @param http       fetches the signing keys
     * @param background where the keys are fetched ahead of time
     * @throws io.outpost.core.OutpostException when {@code auth.jwt.key-file} cannot be read
     */
    public static ReadAccess of(String region, AuthConfig auth, Map<String, ViewDefinition> views, GatewayMetrics metrics,
                                java.net.http.HttpClient http, io.outpost.core.Ticker ticker,
                                java.time.InstantSource clock, java.util.concurrent.Executor background) {
        Authenticator authentication = null;
        if (auth.mode() == AuthConfig.Mode.FORWARD) {
            authentication = new ForwardAuthenticator(auth.forward(), http, ticker, metrics::forwardLookup);
        } else if (auth.mode() == AuthConfig.Mode.JWT) {
            AuthConfig.Jwt jwt = auth.jwt();
            KeySet keys = jwt.jwksUrl() != null
                    ? KeySet.fetched(java.net.URI.create(jwt.jwksUrl()), jwt.keysTtl(), jwt.refetchInterval(), http, ticker, background)
                    : KeySet.file(java.nio.file.Path.of(jwt.keyFile()), ticker);
            authentication = new Authentication(jwt, keys, clock, ticker);
        }
        return new ReadAccess(region, auth, authentication, views, metrics);
    }

    /** Whether callers are authenticated at all. */
    public boolean enabled() {
        return auth.enabled();
    }

    /**
     * What the caller of {@code ctx} may see of {@code view} (a view that exists).
     *
     * @param key the document asked for, or null for a list (for the audit log)
     * @throws Problem 401, 403 or 503 as the class says
     */
    Visibility visibility(Context ctx, String view, String key) {
        ReadRules viewRules = rules.get(view);
        if (viewRules.isPublic()) {
            return Visibility.ALL;
        }
        Caller caller = caller(ctx, view, key);
        ReadRules.Decision decision = decisions.get(caller, c -> new java.util.concurrent.ConcurrentHashMap<>())
                .computeIfAbsent(view, v -> viewRules.visibility(caller));
        if (decision.refusal() == ReadRules.Refusal.UNAUTHENTICATED) {
            throw unauthenticated(ctx, view, key, "no credential");
        }
        if (decision.refusal() == ReadRules.Refusal.INSUFFICIENT_SCOPE) {
            deny(ctx, view, key, caller.subject(), "forbidden", "no rule applies: it has none of the scopes "
                    + viewRules.scopes());
            throw new Problem(ProblemType.INSUFFICIENT_SCOPE, "reading view " + view
                    + " needs one of the scopes " + viewRules.scopes())
                    .header("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\""
                            + String.join(" ", viewRules.scopes()) + "\"");
        }
        metrics.decision("allowed");
        return decision.visibility();
    }

    /** Records that a document asked for by key was hidden from the caller by the view's rules (answered 404). */
    void hidden(Context ctx, String view, String key) {
        Caller caller = callerIfKnown(ctx);
        deny(ctx, view, key, caller == null ? null : caller.subject(), "hidden", "the view's rules do not show it to the caller");
    }

    /** Whether {@code ctx} carries the service token: it comes from another part of Outpost. */
    public boolean fromOutpost(Context ctx) {
        if (serviceToken == null) {
            return false;
        }
        String given = ctx.header(Headers.SERVICE_TOKEN);
        return given != null && MessageDigest.isEqual(serviceToken, given.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether forwarding headers of {@code ctx} ({@code Outpost-Hops}, …) are to be believed. */
    public boolean trusted(Context ctx) {
        return !auth.enabled() || fromOutpost(ctx);
    }

    /** The service token for Outpost's own calls, or null without authentication. */
    public String serviceToken() {
        return auth.serviceToken();
    }

    /** Whether {@code ctx} may see Outpost's own details: without authentication, from Outpost, or with the admin scope. */
    public boolean admin(Context ctx) {
        if (!auth.enabled() || fromOutpost(ctx)) {
            return true;
        }
        Caller caller = callerIfKnown(ctx);
        return caller != null && caller.has(auth.adminScope());
    }

    /**
     * Refuses {@code ctx} unless it is {@link #admin}.
     *
     * @throws Problem 401 without a good credential, 403 without the admin scope
     */
    public void requireAdmin(Context ctx) {
        if (admin(ctx)) {
            return;
        }
        Caller caller = caller(ctx, null, null);
        if (caller.anonymous()) {
            throw unauthenticated(ctx, null, null, "no credential");
        }
        deny(ctx, null, null, caller.subject(), "forbidden", "lacks the admin scope " + auth.adminScope());
        throw new Problem(ProblemType.INSUFFICIENT_SCOPE, ctx.path() + " needs the scope " + auth.adminScope())
                .header("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + auth.adminScope() + "\"");
    }

    /**
     * The principal a command's idempotency key belongs to: the verified subject, or null (anonymous,
     * or a credential that does not verify — the monolith decides what such a command may do).
     *
     * @throws Problem 503 when the signing keys cannot be had, so the key cannot be scoped
     */
    String principal(Context ctx) {
        Caller caller = verified(ctx, true);
        return caller == null ? null : caller.subject();
    }

    private Caller callerIfKnown(Context ctx) {
        return verified(ctx, false);
    }

    /**
     * The verified caller of {@code ctx}, or null: without authentication, for a credential that does
     * not verify, and (unless {@code unavailableFails}) when credentials cannot be checked now.
     */
    private Caller verified(Context ctx, boolean unavailableFails) {
        if (authentication == null) {
            return null;
        }
        try {
            return authentication.caller(ctx::header);
        } catch (Authenticator.Rejected e) {
            return null;
        } catch (Authenticator.Unavailable e) {
            if (unavailableFails) {
                throw unavailable(e);
            }
            return null;
        }
    }

    private Caller caller(Context ctx, String view, String key) {
        if (authentication == null) {
            return Caller.ANONYMOUS;
        }
        try {
            return authentication.caller(ctx::header);
        } catch (Authenticator.Rejected e) {
            throw unauthenticated(ctx, view, key, e.getMessage());
        } catch (Authenticator.Unavailable e) {
            metrics.decision("unavailable");
            throw unavailable(e);
        }
    }

    private Problem unauthenticated(Context ctx, String view, String key, String reason) {
        deny(ctx, view, key, null, "unauthenticated", reason);
        return new Problem(ProblemType.UNAUTHENTICATED, (view == null ? ctx.path() : "view " + view)
                + " needs a valid bearer token in the Authorization header")
                .header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    }

    private static Problem unavailable(Authenticator.Unavailable e) {
        return new Problem(ProblemType.AUTH_UNAVAILABLE, e.getMessage()
                + "; try again shortly").header("Retry-After", "5");
    }

    private void deny(Context ctx, String view, String key, String subject, String outcome, String reason) {
        metrics.decision(outcome);
        AUDIT.info("denied region={} outcome={} subject={} view={} key={} path={} reason={}", region, outcome,
                subject == null ? "-" : subject, view == null ? "-" : view, key == null ? "-" : key, ctx.path(), reason);
    }
}
