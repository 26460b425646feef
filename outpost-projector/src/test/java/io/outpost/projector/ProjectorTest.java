package io.outpost.projector;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.config.KafkaAccess;
import io.outpost.core.config.ProjectorConfig;
import io.outpost.core.config.RegionConfig;
import io.outpost.runtime.Sleeper;
import io.outpost.runtime.Supervisor;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProjectorTest {

    @Test
    @DisplayName("closing a projector in its backoff returns without waiting for the backoff (regression: close waited up to 30 s)")
    void closingInBackoffDoesNotWaitForIt() throws Exception {
        // a store nothing listens on: every attempt fails at once, and the projector backs off
        RegionConfig region = new RegionConfig("nowhere", new RegionConfig.Store("jdbc:postgresql://127.0.0.1:1/store",
                "outpost", "", 2), KafkaAccess.plaintext("127.0.0.1:1"), new RegionConfig.Gateway("http://localhost:1", 1, Duration.ofSeconds(2)),
                false);
        ProjectorSettings settings = new ProjectorSettings("shop", "outpost.shop.changes", region, List.of(),
                ProjectorConfig.defaults());
        CountDownLatch backingOff = new CountDownLatch(1);
        AtomicReference<Duration> asked = new AtomicReference<>();
        Sleeper untilWoken = (duration, wake) -> {
            asked.set(duration);
            backingOff.countDown();
            wake.await(); // a backoff that never ends by itself
            return true;
        };
        Projector projector = Projector.start(settings, InstantSource.system(),
                new Supervisor.Timing(InstantSource.system(), System::nanoTime, untilWoken));
        assertThat(backingOff.await(30, SECONDS)).as("the projector failed to reach its store and backs off").isTrue();
        assertThat(projector.status().state()).isEqualTo(Supervisor.State.RETRYING);
        assertThat(projector.status().problem()).contains("cannot reach the region store at jdbc:postgresql://127.0.0.1:1/store");
        assertThat(asked.get()).isEqualTo(Duration.ofSeconds(1));

        projector.close();
        assertThat(projector.status().state()).as("stopped, not still in its backoff").isEqualTo(Supervisor.State.STOPPED);
    }
}
