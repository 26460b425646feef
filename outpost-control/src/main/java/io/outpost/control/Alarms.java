package io.outpost.control;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.outpost.control.internal.ObservationCodec;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a change of a region's effective state sets off: a log line (WARN when a region goes DOWN
 * or UNKNOWN, INFO otherwise), a count, and a POST of the change as JSON to every configured
 * webhook, tried up to three times (1 s, then 2 s apart) and logged when it fails; a webhook never
 * holds anything else up. A watch's first decision on a region that serves (UNKNOWN to UP or
 * DEGRADED, as at every start) is counted and logged at debug level but not posted: it is not
 * news, and every gateway's restart would page someone.
 *
 * <p>Every region's watch decides every change, but only one posts it, so that a webhook receives
 * each transition once: the watch of the first region in configuration order that serves (UP or
 * DEGRADED, as the watch sees it) and is not the region that changed ({@link #poster}); the others
 * log it and name that region. With no such region the changed region's own watch posts, if it
 * serves; with none serving at all, every watch posts (a duplicate beats silence).
 */
public final class Alarms implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Alarms.class);
    private static final Duration WEBHOOK_TIMEOUT = Duration.ofSeconds(5);
    private static final int ATTEMPTS = 3;
    /** Three tries, 1 s then 2 s apart. */
    private static final RetryConfig RETRY = RetryConfig.custom().maxAttempts(ATTEMPTS)
            .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2)).build();

    private final String observer;
    private final List<URI> webhooks;
    private final HttpClient http;
    private final AtomicLong raised = new AtomicLong();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("outpost-alarm-webhooks").unstarted(r));

    /**
     * @param observer the region whose watch raises these alarms (named in each, so a receiver can
     *                 tell the same change reported by several regions apart)
     */
    public Alarms(String observer, List<String> webhooks) {
        this.observer = observer;
        this.webhooks = webhooks.stream().map(URI::create).toList();
        this.http = HttpClient.newBuilder().connectTimeout(WEBHOOK_TIMEOUT)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /** Raises the alarm for {@code change} and posts it. Returns at once; webhooks are called in the background. */
    public void raise(RegionStateChange change) {
        raise(change, Map.of());
    }

    /**
     * Raises the alarm for {@code change}, and posts it when this watch's region is its
     * {@link #poster} among {@code states} (every region's state after the change, in configuration order).
     */
    public void raise(RegionStateChange change, Map<String, RegionHealth> states) {
        raised.incrementAndGet();
        String line = "region {} is {} (was {}), as seen from {}: {}{}";
        String evidence = evidence(change.observations());
        if (change.from() == RegionHealth.UNKNOWN && change.to() != RegionHealth.DOWN) {
            LOG.debug(line, change.region(), change.to(), change.from(), observer, evidence, "");
            return;
        }
        String poster = poster(change.region(), states);
        boolean posting = poster == null || poster.equals(observer);
        String by = webhooks.isEmpty() || posting ? "" : " (region " + poster + "'s watch posts it to the webhooks)";
        if (change.to() == RegionHealth.DOWN || change.to() == RegionHealth.UNKNOWN) {
            LOG.warn(line, change.region(), change.to(), change.from(), observer, evidence, by);
        } else {
            LOG.info(line, change.region(), change.to(), change.from(), observer, evidence, by);
        }
        if (!posting) {
            return;
        }
        byte[] body = ObservationCodec.alarm(change, observer);
        for (URI webhook : webhooks) {
            post(webhook, body, change);
        }
    }

    /**
     * The region whose watch posts an alarm about {@code region}: the first region of {@code states}
     * (configuration order) that serves and is not {@code region}; else {@code region} itself if it
     * serves; null when none serves (or nothing is known): then every watch posts.
     */
    static String poster(String region, Map<String, RegionHealth> states) {
        String self = null;
        for (var entry : states.entrySet()) {
            boolean serves = entry.getValue() == RegionHealth.UP || entry.getValue() == RegionHealth.DEGRADED;
            if (serves && !entry.getKey().equals(region)) {
                return entry.getKey();
            }
            if (serves) {
                self = region;
            }
        }
        return self;
    }

    private static String evidence(List<Observation> observations) {
        if (observations.isEmpty()) {
            return "no monitor has observed it recently";
        }
        return observations.stream().map(o -> "monitor " + o.monitor() + " says " + o.health()
                + (o.detail().isEmpty() ? "" : " (" + o.detail() + ")")).collect(Collectors.joining(", "));
    }

    private void post(URI webhook, byte[] body, RegionStateChange change) {
        HttpRequest request = HttpRequest.newBuilder(webhook).timeout(WEBHOOK_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        Retry retry = Retry.of("alarm webhook " + webhook, RETRY);
        retry.getEventPublisher().onRetry(event -> LOG.warn("alarm webhook {} for region {} {} failed ({}); trying again in {} s",
                webhook, change.region(), change.to(), problem(event.getLastThrowable()), event.getWaitInterval().toSeconds()));
        retry.executeCompletionStage(scheduler, () -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                        .thenApply(response -> {
                            if (response.statusCode() / 100 != 2) {
                                throw new Refused(response.statusCode());
                            }
                            return response;
                        }))
                .whenComplete((response, failure) -> {
                    if (failure != null) {
                        LOG.warn("alarm webhook {} for region {} {} failed ({}) {} times; this alarm is not sent to it",
                                webhook, change.region(), change.to(), problem(failure), ATTEMPTS);
                    }
                });
    }

    /** What went wrong with a webhook call, in a few words. */
    private static String problem(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof Refused refused ? refused.getMessage() : String.valueOf(cause);
    }

    /** A webhook's answer other than 2xx. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(int status) {
            super("HTTP " + status, null, false, false);
        }
    }

    /** How many alarms this has raised. */
    public long raised() {
        return raised.get();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        http.shutdownNow(); // a webhook still being tried is not waited for
    }
}
