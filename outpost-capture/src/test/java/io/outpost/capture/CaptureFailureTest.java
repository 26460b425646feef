package io.outpost.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.core.OutpostException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class CaptureFailureTest {

    @Test
    void aFullSetOfReplicationSlotsIsReportedWithItsFix() {
        var failure = new IllegalStateException("task failed",
                new SQLException("ERROR: all replication slots are in use\n  Hint: Free one or increase max_replication_slots."));

        assertThat(Capture.describe(failure))
                .startsWith("the engine stopped: ERROR: all replication slots are in use")
                .contains("max_replication_slots is reached", "pg_drop_replication_slot")
                .doesNotContain("\n");
    }

    @Test
    void otherFailuresAreTheirRootCausesFirstLine() {
        var failure = new RuntimeException("outer", new SQLException("Connection refused\nsecond line"));

        assertThat(Capture.describe(failure)).isEqualTo("the engine stopped: Connection refused");
        assertThat(Capture.describe(new OutpostException("ours, as it is"))).isEqualTo("ours, as it is");
    }
}
