package io.outpost.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MetersTest {

    @Test
    @DisplayName("a part's meters carry its tags, and closing removes them so that a part started again registers fresh gauges")
    void closingRemovesThePartsMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicReference<String> first = new AtomicReference<>("one");
        Meters meters = Meters.of(registry, "region", "eu-west");
        meters.gauge("outpost.test.length", "a length", null, first, r -> r.get().length());
        meters.counter("outpost.test.events", "events", "kind", "a").increment(2);
        meters.counter("outpost.test.events", "events", "kind", "a").increment();
        assertThat(registry.get("outpost.test.events").tag("region", "eu-west").tag("kind", "a").counter().count()).isEqualTo(3);
        assertThat(registry.get("outpost.test.length").tag("region", "eu-west").gauge().value()).isEqualTo(3);

        meters.close();
        assertThat(registry.getMeters()).isEmpty();

        AtomicReference<String> second = new AtomicReference<>("three");
        Meters again = Meters.of(registry, "region", "eu-west");
        again.gauge("outpost.test.length", "a length", null, second, r -> r.get().length());
        assertThat(registry.get("outpost.test.length").gauge().value()).as("the new part's gauge, not the old one's").isEqualTo(5);
    }

    @Test
    @DisplayName("a state is one gauge per value, 1 for the current one; adopted meters of another library go on close")
    void statesAndAdoptedMeters() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        AtomicReference<Supervisor.State> state = new AtomicReference<>(Supervisor.State.RUNNING);
        Meters meters = Meters.of(registry, "region", "eu-west");
        meters.state("outpost.test.state", "where it is", Supervisor.State.class, state::get);
        meters.adopt(id -> id.getName().startsWith("library."));
        registry.counter("library.calls", "region", "eu-west").increment();
        registry.counter("other.calls").increment();

        assertThat(registry.scrape()).contains("outpost_test_state{region=\"eu-west\",state=\"RUNNING\"} 1")
                .contains("outpost_test_state{region=\"eu-west\",state=\"FAILED\"} 0");
        state.set(Supervisor.State.FAILED);
        assertThat(registry.scrape()).contains("outpost_test_state{region=\"eu-west\",state=\"FAILED\"} 1");

        meters.close();
        assertThat(registry.getMeters()).extracting(m -> m.getId().getName()).containsExactly("other.calls");
    }

    @Test
    @DisplayName("freshness records each stage alone and the time since the source commit, tagged alike for every part")
    void freshnessByStage() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        Freshness capture = Freshness.of(Meters.of(registry, "source", "shop"), "region", "");
        Freshness projector = Freshness.of(Meters.of(registry, "region", "eu-west"), "source", "shop");
        capture.record(Freshness.Stage.PUBLISHED, 1_000, 1_000, 1_030);
        projector.record(Freshness.Stage.APPLIED, 1_000, 1_050, 1_070);
        projector.record(Freshness.Stage.POLLED, 1_000, 1_030, 1_020); // clocks apart: counts as 0

        var applied = registry.get("outpost.freshness.stage").tag("stage", "applied").tag("region", "eu-west").timer();
        assertThat(applied.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(20);
        assertThat(registry.get("outpost.freshness").tag("at", "applied").tag("region", "eu-west").timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(70);
        assertThat(registry.get("outpost.freshness.stage").tag("stage", "polled").tag("region", "eu-west").timer().totalTime(
                java.util.concurrent.TimeUnit.MILLISECONDS)).isZero();
        assertThat(registry.scrape()).contains("outpost_freshness_stage_seconds_count{region=\"\",source=\"shop\",stage=\"published\"} 1")
                .contains("outpost_freshness_seconds_bucket{at=\"applied\",region=\"eu-west\",source=\"shop\"");
    }
}
