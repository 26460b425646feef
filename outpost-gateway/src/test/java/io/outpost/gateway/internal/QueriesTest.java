package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.store.ViewReads;
import org.junit.jupiter.api.Test;

class QueriesTest {

    @Test
    void aCursorCarriesTheLastSortValueAndKeyOfItsListingOnly() {
        String cursor = Queries.cursor("orders", "-placed_at", "\"2026-11-21T10:00:00+00:00\"", "42");
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
        assertThat(Queries.decodeCursor(cursor, "orders", "-placed_at"))
                .isEqualTo(new ViewReads.After("\"2026-11-21T10:00:00+00:00\"", "42"));
        assertThatThrownBy(() -> Queries.decodeCursor(cursor, "orders", "placed_at"))
                .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.type()).isEqualTo("urn:outpost:problem:invalid-cursor"))
                .hasMessageContaining("sorted by -placed_at");
        assertThatThrownBy(() -> Queries.decodeCursor(cursor, "products", "-placed_at")).isInstanceOf(Problem.class);
    }

    @Test
    void aCursorThatIsNotOneIsABadRequest() {
        for (String garbage : new String[] {"", "%%%", "bm90LWEtY3Vyc29y", Queries.cursor("orders", "key", "not json", "1")}) {
            assertThatThrownBy(() -> Queries.decodeCursor(garbage, "orders", "key"))
                    .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
    }

    @Test
    void aFilterValueIsAJsonStringAndAlsoTheScalarItReadsAs() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String value : new String[] {"PAID", "PAID' OR '1'='1", "quote \" and \\ back", "tab\tnew\nline\u0001", "ünï☃", ""}) {
            assertThat(Queries.candidates(value)).hasSize(1);
            assertThat(json.readTree(Queries.candidates(value).getFirst()).asText()).isEqualTo(value);
        }
        assertThat(Queries.candidates("5")).containsExactly("\"5\"", "5");
        assertThat(Queries.candidates("-1.5e3")).containsExactly("\"-1.5e3\"", "-1.5e3");
        assertThat(Queries.candidates("true")).containsExactly("\"true\"", "true");
        assertThat(Queries.candidates("05")).containsExactly("\"05\"");
        assertThat(Queries.rangeValue("20")).isEqualTo("20");
        assertThat(Queries.rangeValue("2026-11-21")).isEqualTo("\"2026-11-21\"");
        assertThat(Queries.rangeValue("true")).isEqualTo("\"true\"");
    }
}
