package io.outpost.gateway.internal;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import io.outpost.core.Ticker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's signing keys, for nimbus-jose-jwt's key selection: a JWK set fetched from a URL, or
 * read once from a file.
 *
 * <p>Fetching: the set is used for {@code ttl} after a fetch and fetched again in the background
 * once {@link #AHEAD} of that has passed, so requests do not wait for it. A token whose key id the
 * set does not have causes one fetch, at most one per {@code refetchInterval} however many such
 * tokens arrive (an attacker's random key ids cannot make the gateway hammer the issuer). When a
 * fetch fails the last good set stays in use (reads go on through the issuer's outage) and the
 * failure is counted; only before any set was ever fetched does a request fail, with
 * {@link Unavailable}. Fetch attempts of every kind are spaced by {@code refetchInterval}; one runs
 * at a time.
 */
final class KeySet implements JWKSource<SecurityContext> {

    private static final Logger LOG = LoggerFactory.getLogger(KeySet.class);
    /** The part of the TTL after which a fetch starts in the background. */
    static final double AHEAD = 0.8;

    /** No key set can be had: nothing was ever fetched and the issuer cannot be reached now. */
    static final class Unavailable extends KeySourceException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    private record Loaded(JWKSet set, long fetchedAt) {
    }

    private final URI url;
    private final Duration ttl;
    private final Duration refetchInterval;
    private final HttpClient http;
    private final Ticker ticker;
    private final Executor background;
    private final ReentrantLock fetching = new ReentrantLock();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Loaded loaded;
    /** Ticker time of the last fetch attempt; guarded by {@link #fetching}. */
    private long lastAttempt;
    private boolean attempted;
    private volatile String lastProblem;

    private KeySet(URI url, JWKSet fixed, Duration ttl, Duration refetchInterval, HttpClient http, Ticker ticker,
                   Executor background) {
        this.url = url;
        this.ttl = ttl;
        this.refetchInterval = refetchInterval;
        this.http = http;
        this.ticker = ticker;
        this.background = background;
        this.loaded = fixed == null ? null : new Loaded(fixed, ticker.read());
    }

    /** Keys fetched from {@code url}. */
    static KeySet fetched(URI url, Duration ttl, Duration refetchInterval, HttpClient http, Ticker ticker, Executor background) {
        return new KeySet(url, null, ttl, refetchInterval, http, ticker, background);
    }

    /**
     * Keys read from {@code file}: a JWK set (JSON) or PEM-encoded public keys and certificates.
     *
     * @throws io.outpost.core.OutpostException when the file cannot be read or holds no public key
     */
    static KeySet file(Path file, Ticker ticker) {
        JWKSet set;
        try {
            String text = Files.readString(file);
            set = text.strip().startsWith("{") ? JWKSet.parse(text) : new JWKSet(JWK.parseFromPEMEncodedObjects(text));
        } catch (IOException e) {
            throw new io.outpost.core.OutpostException("cannot read auth.jwt.key-file " + file + ": " + e.getMessage()
                    + "; fix the path or the file's permissions");
        } catch (ParseException | com.nimbusds.jose.JOSEException e) {
            throw new io.outpost.core.OutpostException("auth.jwt.key-file " + file + " holds neither a JWK set nor PEM "
                    + "public keys: " + e.getMessage());
        }
        JWKSet publicKeys = set.toPublicJWKSet();
        if (publicKeys.isEmpty()) {
            throw new io.outpost.core.OutpostException("auth.jwt.key-file " + file + " holds no public key");
        }
        return new KeySet(null, publicKeys, Duration.ofDays(36_500), Duration.ofDays(36_500), null, ticker, Runnable::run);
    }

    /** How many fetches were made (successful or not). */
    long fetches() {
        return fetches.get();
    }

    /** How many fetches failed. */
    long failures() {
        return failures.get();
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
        Loaded now = loaded;
        if (now == null) {
            now = fetchNow(true);
        } else if (url != null) {
            long age = ticker.read() - now.fetchedAt();
            if (age >= ttl.toNanos()) {
                now = fetchNow(false); // past its time: fetch, and keep it if the issuer cannot be reached
            } else if (age >= (long) (ttl.toNanos() * AHEAD) && refreshing.compareAndSet(false, true)) {
                background.execute(() -> {
                    try {
                        fetchNow(false);
                    } catch (KeySourceException e) {
                        // counted and logged by fetchNow
                    } finally {
                        refreshing.set(false);
                    }
                });
            }
        }
        List<JWK> matches = selector.select(now.set());
        if (matches.isEmpty() && url != null && unknownKeyId(selector, now.set())) {
            Loaded before = now;
            now = fetchNow(false);
            if (now != before) {
                matches = selector.select(now.set());
            }
        }
        return matches;
    }

    /** Whether the selector asks for a key id that {@code set} does not have (a new key, or a forged id). */
    private static boolean unknownKeyId(JWKSelector selector, JWKSet set) {
        var ids = selector.getMatcher().getKeyIDs();
        return ids != null && !ids.isEmpty() && ids.stream().allMatch(id -> id != null && set.getKeyByKeyId(id) == null);
    }

    /**
     * Fetches the set unless a fetch was attempted within the refetch interval, and returns what is
     * loaded then.
     *
     * @param required whether nothing is loaded yet (then failing is {@link Unavailable})
     */
    private Loaded fetchNow(boolean required) throws Unavailable {
        fetching.lock();
        try {
            long now = ticker.read();
            Loaded current = loaded;
            boolean recent = attempted && now - lastAttempt < refetchInterval.toNanos();
            if (!recent) {
                attempted = true;
                lastAttempt = now;
                try {
                    current = new Loaded(download(), now);
                    loaded = current;
                    lastProblem = null;
                } catch (IOException | ParseException e) {
                    failures.incrementAndGet();
                    lastProblem = e.getMessage();
                    LOG.warn("the signing keys at {} cannot be fetched ({}); {}", url, e.getMessage(), current == null
                            ? "tokens cannot be checked until they can (503); retrying after " + refetchInterval.toSeconds() + " s"
                            : "the keys fetched before stay in use; retrying after " + refetchInterval.toSeconds() + " s");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Unavailable("interrupted while fetching the signing keys at " + url);
                }
            }
            if (current == null) {
                throw new Unavailable("the signing keys at " + url + " cannot be fetched"
                        + (lastProblem == null ? "" : " (" + lastProblem + ")") + "; tokens cannot be checked until they can");
            }
            return current;
        } finally {
            fetching.unlock();
        }
    }

    private JWKSet download() throws IOException, ParseException, InterruptedException {
        fetches.incrementAndGet();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5))
                .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("HTTP " + answer.statusCode());
        }
        return JWKSet.parse(answer.body()).toPublicJWKSet();
    }
}
