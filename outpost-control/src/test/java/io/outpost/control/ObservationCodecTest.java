package io.outpost.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.control.internal.ObservationCodec;
import io.outpost.core.region.Canary;
import io.outpost.core.region.Drain;
import io.outpost.core.region.Observation;
import io.outpost.core.region.RegionHealth;
import io.outpost.core.region.RegionStateChange;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ObservationCodecTest {

    private static final Observation DOWN = new Observation("eu-west", "us-east", RegionHealth.DOWN,
            Instant.parse("2026-12-02T10:00:00.123Z"), "connection refused");

    @Test
    void anObservationSurvivesTheTopic() {
        assertThat(ObservationCodec.decode(ObservationCodec.encode(DOWN))).isEqualTo(DOWN);
        assertThat(new String(ObservationCodec.encode(DOWN), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"region\":\"eu-west\",\"monitor\":\"us-east\",\"health\":\"DOWN\","
                        + "\"observed_at\":\"2026-12-02T10:00:00.123Z\",\"detail\":\"connection refused\"}");
    }

    @Test
    void theConfigurationHashTravelsWhenThereIsOne() {
        Observation up = new Observation("eu-west", "us-east", RegionHealth.UP, Instant.parse("2026-12-02T10:00:00Z"),
                "HTTP 200, status UP", "0123456789abcdef");
        assertThat(ObservationCodec.decode(ObservationCodec.encode(up))).isEqualTo(up);
        assertThat(new String(ObservationCodec.encode(DOWN), StandardCharsets.UTF_8)).doesNotContain("config_hash");
    }

    @Test
    void canaryFiguresTravelWhenTheMonitorHasThem() {
        Observation up = new Observation("eu-west", "us-east", RegionHealth.UP, Instant.parse("2026-12-02T10:00:00Z"),
                "HTTP 200, status UP", "0123456789abcdef", new Canary(12, 11, 40, 52, 60, 0));
        assertThat(ObservationCodec.decode(ObservationCodec.encode(up))).isEqualTo(up);
        assertThat(new String(ObservationCodec.encode(up), StandardCharsets.UTF_8)).contains(
                "\"canary\":{\"last_ms\":12,\"p50_ms\":11,\"p99_ms\":40,\"max_ms\":52,\"count\":60,\"pending_ms\":0}");
        assertThat(new String(ObservationCodec.encode(DOWN), StandardCharsets.UTF_8)).doesNotContain("canary");
        assertThatThrownBy(() -> decode("{\"v\":1,\"region\":\"a\",\"monitor\":\"b\",\"health\":\"UP\","
                + "\"observed_at\":\"2026-12-02T10:00:00Z\",\"canary\":{\"last_ms\":-1}}"))
                .hasMessage("canary.last_ms is missing or not a whole number ≥ 0");
    }

    @Test
    void whatIsNotAnObservationIsRefusedSayingWhy() {
        assertThatThrownBy(() -> decode("nope")).hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> decode("{\"v\":2}")).hasMessage("version 2, this reader knows version 1");
        assertThatThrownBy(() -> decode("{\"v\":1,\"region\":\"a\",\"monitor\":\"b\",\"observed_at\":\"x\"}"))
                .hasMessage("field health is missing or not text");
        assertThatThrownBy(() -> decode("{\"v\":1,\"region\":\"a\",\"monitor\":\"b\",\"health\":\"UNKNOWN\",\"observed_at\":\"x\"}"))
                .hasMessage("health must be UP, DEGRADED or DOWN, but was UNKNOWN");
        assertThatThrownBy(() -> decode("{\"v\":1,\"region\":\"a\",\"monitor\":\"b\",\"health\":\"UP\",\"observed_at\":\"x\"}"))
                .hasMessage("observed_at is not an ISO-8601 instant: x");
    }

    private static Observation decode(String json) {
        return ObservationCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anAlarmNamesTheRegionItsStatesTheObserverAndTheEvidence() throws Exception {
        RegionStateChange change = new RegionStateChange("eu-west", RegionHealth.UP, RegionHealth.DOWN,
                Instant.parse("2026-12-02T10:00:01Z"), List.of(DOWN));
        var alarm = new ObjectMapper().readTree(ObservationCodec.alarm(change, "ap-south"));
        assertThat(alarm.path("region").asText()).isEqualTo("eu-west");
        assertThat(alarm.path("from").asText()).isEqualTo("UP");
        assertThat(alarm.path("to").asText()).isEqualTo("DOWN");
        assertThat(alarm.path("observer").asText()).isEqualTo("ap-south");
        assertThat(alarm.path("observations").get(0).path("detail").asText()).isEqualTo("connection refused");
    }

    @Test
    void aDrainSurvivesTheTopicAndABrokenOneIsRefusedSayingWhy() {
        Drain drain = new Drain("eu-west", true, Instant.parse("2026-12-02T10:00:00Z"), "ops@host", "network work");
        assertThat(ObservationCodec.decodeDrain(ObservationCodec.encode(drain))).isEqualTo(drain);
        assertThat(new String(ObservationCodec.encode(drain), StandardCharsets.UTF_8)).isEqualTo(
                "{\"v\":1,\"drain\":\"eu-west\",\"drained\":true,\"at\":\"2026-12-02T10:00:00Z\",\"by\":\"ops@host\","
                        + "\"reason\":\"network work\"}");
        assertThatThrownBy(() -> ObservationCodec.decodeDrain(
                "{\"v\":1,\"drain\":\"eu-west\",\"drained\":\"yes\",\"at\":\"x\",\"by\":\"o\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("field drained is missing or not true/false");
        assertThatThrownBy(() -> ObservationCodec.decodeDrain("{\"v\":2}".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("version 2, this reader knows version 1");
    }
}
