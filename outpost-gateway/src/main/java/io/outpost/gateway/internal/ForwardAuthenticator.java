package io.outpost.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.outpost.core.Ticker;
import io.outpost.core.config.AuthConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code auth.mode: forward}: the monolith says who the caller is. The request's credential headers
 * ({@code auth.forward.headers}, e.g. {@code Cookie}) go, as they are, to {@code auth.forward.url};
 * a 2xx JSON answer is the caller's claims (its principal under {@code subject}, scopes under
 * {@code scope} or {@code scp}), 401 or 403 is nobody, anything else — a 5xx, a timeout, no
 * connection — is that nobody can tell now (fail closed: 503).
 *
 * <p>Answers are kept per credential: by the SHA-256 of the named headers' values, never the
 * values, so one caller's answer can only ever be found by the same credential. An answer is used
 * for {@code ttl} (less when its {@code Cache-Control: max-age} says so), a refusal for
 * {@code negative-ttl}; then the monolith is asked again — a logged-out session is refused within
 * one TTL. While the monolith cannot answer, an answer is used up to {@code stale-if-error} past
 * its time, so reads survive a monolith outage that long; then 503. One question per credential is
 * in flight at a time: concurrent requests with the same credential wait for it.
 */
final class ForwardAuthenticator implements Authenticator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MAX_AGE = Pattern.compile("(?i)(?:^|[,\\s])max-age\\s*=\\s*(\\d{1,9})");

    /** An answer of the monolith: the caller, or why there is none; fresh and usable until (ticker time). */
    private record Answer(Caller caller, String refusal, long freshUntil, long usableUntil) {
    }

    /** The monolith did not answer who the caller is. */
    private static final class NoAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        NoAnswer(String message) {
            super(message, null, false, false);
        }
    }

    private final AuthConfig.Forward settings;
    private final URI url;
    private final HttpClient http;
    private final Ticker ticker;
    private final Cache<String, Answer> answers;
    private final Map<String, CompletableFuture<Answer>> asking = new ConcurrentHashMap<>();
    private final Consumer<String> lookups;

    /** @param lookups told {@code hit}, {@code miss} or {@code stale} for every credential looked up (for the metrics) */
    ForwardAuthenticator(AuthConfig.Forward settings, HttpClient http, Ticker ticker, Consumer<String> lookups) {
        this.settings = settings;
        this.url = URI.create(settings.url());
        this.http = http;
        this.ticker = ticker;
        this.lookups = lookups;
        this.answers = Caffeine.newBuilder().maximumSize(100_000).ticker(ticker::read).executor(Runnable::run)
                .expireAfter(Expiry.<String, Answer>creating((key, answer) ->
                        Duration.ofNanos(Math.max(0, answer.usableUntil() - ticker.read())))).build();
    }

    @Override
    public Caller caller(Credentials request) throws Rejected, Unavailable {
        Map<String, String> credential = new HashMap<>();
        for (String name : settings.headers()) {
            String value = request.header(name);
            if (value != null) {
                credential.put(name, value);
            }
        }
        if (credential.isEmpty()) {
            return Caller.ANONYMOUS;
        }
        StringBuilder text = new StringBuilder();
        settings.headers().forEach(name -> text.append(name).append('\u0000')
                .append(credential.getOrDefault(name, "")).append('\u0000'));
        String key = Authentication.sha256(text.toString());
        Answer known = answers.getIfPresent(key);
        if (known != null && ticker.read() < known.freshUntil()) {
            lookups.accept("hit");
            return result(known);
        }
        Answer answer;
        try {
            answer = ask(key, credential);
            lookups.accept("miss");
        } catch (NoAnswer e) {
            if (known != null && ticker.read() < known.usableUntil()) {
                lookups.accept("stale");
                return result(known);
            }
            throw new Unavailable("the monolith cannot say who the caller is (" + e.getMessage() + ") at " + url);
        }
        return result(answer);
    }

    private static Caller result(Answer answer) throws Rejected {
        if (answer.caller() == null) {
            throw new Rejected(answer.refusal());
        }
        return answer.caller();
    }

    /** Asks the monolith, or waits for the question already asked with this credential. */
    private Answer ask(String key, Map<String, String> credential) throws NoAnswer {
        CompletableFuture<Answer> mine = new CompletableFuture<>();
        CompletableFuture<Answer> pending = asking.putIfAbsent(key, mine);
        if (pending != null) {
            try {
                return pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NoAnswer("interrupted");
            } catch (ExecutionException e) {
                throw e.getCause() instanceof NoAnswer none ? none : new NoAnswer(String.valueOf(e.getCause()));
            }
        }
        try {
            Answer answer = fetch(credential);
            answers.put(key, answer);
            mine.complete(answer);
            return answer;
        } catch (NoAnswer | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            asking.remove(key, mine);
        }
    }

    private Answer fetch(Map<String, String> credential) throws NoAnswer {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(settings.timeout()).GET()
                .header("Accept", "application/json");
        credential.forEach(request::header);
        HttpResponse<String> response;
        long asked = ticker.read();
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new NoAnswer(e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoAnswer("interrupted");
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            long fresh = asked + settings.negativeTtl().toNanos();
            return new Answer(null, "the monolith refused the credential (" + status + ")", fresh,
                    fresh + settings.staleIfError().toNanos());
        }
        if (status / 100 != 2) {
            throw new NoAnswer("HTTP " + status);
        }
        Caller caller = caller(response.body());
        Duration ttl = settings.ttl();
        String cacheControl = response.headers().firstValue("Cache-Control").orElse("");
        Matcher maxAge = MAX_AGE.matcher(cacheControl);
        if (maxAge.find()) {
            Duration said = Duration.ofSeconds(Long.parseLong(maxAge.group(1)));
            ttl = said.compareTo(ttl) < 0 ? said : ttl;
        }
        if (cacheControl.toLowerCase(java.util.Locale.ROOT).contains("no-store")) {
            ttl = Duration.ZERO;
        }
        long fresh = asked + ttl.toNanos();
        return new Answer(caller, null, fresh, fresh + settings.staleIfError().toNanos());
    }

    private Caller caller(String body) throws NoAnswer {
        JsonNode answer;
        try {
            answer = JSON.readTree(body);
        } catch (IOException e) {
            throw new NoAnswer("its answer is not JSON");
        }
        JsonNode subject = answer == null ? null : answer.get(settings.subject());
        if (subject == null || !(subject.isTextual() || subject.isIntegralNumber())) {
            throw new NoAnswer("its answer has no " + settings.subject() + " naming the caller");
        }
        Set<String> scopes = new HashSet<>();
        JsonNode scope = answer.get("scope");
        if (scope != null && scope.isTextual()) {
            for (String one : scope.textValue().split(" ")) {
                if (!one.isEmpty()) {
                    scopes.add(one);
                }
            }
        }
        JsonNode scp = answer.get("scp");
        if (scp != null && scp.isArray()) {
            scp.forEach(one -> {
                if (one.isTextual()) {
                    scopes.add(one.textValue());
                }
            });
        }
        Map<String, Object> claims = new HashMap<>();
        answer.properties().forEach(member -> {
            Object value = JSON.convertValue(member.getValue(), Object.class);
            if (value != null) {
                claims.put(member.getKey(), value);
            }
        });
        claims.put("sub", subject.asText());
        return new Caller(subject.asText(), scopes, claims);
    }
}
