package io.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SourcePositionTest {

    @Test
    void readsAndWritesPostgresLsnText() {
        SourcePosition p = SourcePosition.parse("16/B374D848");

        assertThat(p.lsn()).isEqualTo(0x16_B374D848L);
        assertThat(p).hasToString("16/B374D848");
        assertThat(SourcePosition.parse("0/0")).isEqualTo(SourcePosition.ZERO);
    }

    @Test
    void ordersAsUnsignedValues() {
        SourcePosition low = SourcePosition.ofLsn(1);
        SourcePosition high = SourcePosition.ofLsn(0xFFFF_FFFF_0000_0000L); // negative as a signed long

        assertThat(high).isGreaterThan(low);
        assertThat(high.isAfter(low)).isTrue();
        assertThat(low.isAtOrBefore(low)).isTrue();
        assertThat(high).hasToString("FFFFFFFF/0");
    }

    @Test
    void refusesTextThatIsNotAnLsn() {
        assertThatThrownBy(() -> SourcePosition.parse("16B374D848"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a source position must be an LSN like 0/16B3A8, but was \"16B374D848\"");
    }
}
