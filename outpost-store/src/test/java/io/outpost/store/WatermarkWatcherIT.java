package io.outpost.store;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.core.SourcePosition;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WatermarkWatcherIT {

    @Test
    @DisplayName("watermark watcher: follows the projector's NOTIFY, wakes waiters when the watermark reaches them, never moves back")
    void followsTheWatermarkForward() throws Exception {
        StoreFixture store = StoreFixture.create("watermark_watcher");
        try (WatermarkWatcher watcher = WatermarkWatcher.start(store.config(), "shop", "test")) {
            await().alias("connected").atMost(30, SECONDS).until(watcher::connected);
            assertThat(watcher.current().position()).as("nothing applied yet").isNull();
            assertThat(watcher.await(s -> s.position() != null, Duration.ofMillis(50))).isFalse();

            SourcePosition target = SourcePosition.parse("0/200");
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return watcher.await(s -> WatermarkWatcher.reached(s, target), Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            store.watermark("0/100", "2026-12-02T12:00:00Z");
            await().alias("saw 0/100").atMost(30, SECONDS).until(() -> SourcePosition.parse("0/100")
                    .equals(watcher.current().position()));
            assertThat(waiter).isNotDone();
            store.watermark("0/200", "2026-12-02T12:00:01Z");
            assertThat(waiter.get(30, SECONDS)).as("woken when the watermark reached it").isTrue();
            assertThat(watcher.current().commitTime()).isEqualTo(Instant.parse("2026-12-02T12:00:01Z"));

            store.watermark("0/150", "2026-12-02T12:00:02Z"); // an older row (a restored store): the watcher keeps the newer
            store.watermark("0/300", "2026-12-02T12:00:03Z");
            await().alias("saw 0/300").atMost(30, SECONDS).until(() -> SourcePosition.parse("0/300")
                    .equals(watcher.current().position()));
        }
    }

    @Test
    @DisplayName("watermark watcher: a lost connection is noticed and retried; what moved meanwhile is read on reconnecting")
    void reconnectsAfterItsSessionIsKilled() throws Exception {
        StoreFixture store = StoreFixture.create("watermark_reconnect");
        store.watermark("0/100", "2026-12-02T12:00:00Z");
        try (WatermarkWatcher watcher = WatermarkWatcher.start(store.config(), "shop", "test")) {
            await().alias("connected, at 0/100").atMost(30, SECONDS).until(() -> watcher.connected()
                    && SourcePosition.parse("0/100").equals(watcher.current().position()));
            store.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outpost watermark watcher'",
                    "UPDATE public.outpost_watermark SET position = '0/500'");
            await().alias("reconnected, at 0/500").atMost(30, SECONDS).until(() -> watcher.connected()
                    && SourcePosition.parse("0/500").equals(watcher.current().position()));
        }
    }
}
