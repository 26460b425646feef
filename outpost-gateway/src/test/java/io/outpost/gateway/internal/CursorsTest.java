package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.store.ViewReads;
import org.junit.jupiter.api.Test;

class CursorsTest {

    @Test
    void aCursorCarriesTheLastSortValueAndKeyOfItsListingOnly() {
        String cursor = Cursors.encode("orders", "-placed_at", "\"2026-11-21T10:00:00+00:00\"", "42");
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
        assertThat(Cursors.decode(cursor, "orders", "-placed_at"))
                .isEqualTo(new ViewReads.After("\"2026-11-21T10:00:00+00:00\"", "42"));
        assertThatThrownBy(() -> Cursors.decode(cursor, "orders", "placed_at"))
                .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.type()).isEqualTo("urn:outpost:problem:invalid-cursor"))
                .hasMessageContaining("sorted by -placed_at");
        assertThatThrownBy(() -> Cursors.decode(cursor, "products", "-placed_at")).isInstanceOf(Problem.class);
    }

    @Test
    void aCursorThatIsNotOneIsABadRequest() {
        for (String garbage : new String[] {"", "%%%", "bm90LWEtY3Vyc29y", Cursors.encode("orders", "key", "not json", "1")}) {
            assertThatThrownBy(() -> Cursors.decode(garbage, "orders", "key"))
                    .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
    }
}
