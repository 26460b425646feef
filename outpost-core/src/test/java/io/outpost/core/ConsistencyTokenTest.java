package io.outpost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConsistencyTokenTest {

    @Test
    void roundTripsAsAUrlSafeString() {
        ConsistencyToken token = new ConsistencyToken("shop", SourcePosition.parse("1/2A3B4C"));

        String text = token.encode();

        assertThat(text).matches("[A-Za-z0-9_-]+");
        assertThat(ConsistencyToken.decode(text)).isEqualTo(token);
    }

    @Test
    void refusesWhatIsNotAToken() {
        for (String bad : new String[] {"", "not base64!", "MTpzaG9w", "MjpzaG9wOjAvMQ"}) {
            assertThatThrownBy(() -> ConsistencyToken.decode(bad))
                    .as("decoding \"%s\"", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a consistency token");
        }
    }
}
