package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.store.ViewReads;
import java.util.List;
import org.junit.jupiter.api.Test;

class CursorsTest {

    @Test
    void aCursorCarriesTheLastSortValueAndKeyOfItsListingOnly() {
        String cursor = Cursors.unsigned().encode("orders", "-placed_at", "\"2026-11-21T10:00:00+00:00\"", "42");
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
        assertThat(Cursors.unsigned().decode(cursor, "orders", "-placed_at"))
                .isEqualTo(new ViewReads.After("\"2026-11-21T10:00:00+00:00\"", "42"));
        assertThatThrownBy(() -> Cursors.unsigned().decode(cursor, "orders", "placed_at"))
                .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.type()).isEqualTo("urn:outpost:problem:invalid-cursor"))
                .hasMessageContaining("sorted by -placed_at");
        assertThatThrownBy(() -> Cursors.unsigned().decode(cursor, "products", "-placed_at")).isInstanceOf(Problem.class);
    }

    @Test
    void aSignedCursorIsRefusedOnceEditedAndVerifiesWithEitherKeyDuringARotation() {
        String oldKey = "o".repeat(32);
        String newKey = "n".repeat(32);
        Cursors before = new Cursors(List.of(oldKey));
        Cursors rotating = new Cursors(List.of(newKey, oldKey));
        Cursors after = new Cursors(List.of(newKey));
        String issuedBefore = before.encode("orders", "key", "5", "5");
        String issuedDuring = rotating.encode("orders", "key", "5", "5");

        assertThat(rotating.decode(issuedBefore, "orders", "key")).isEqualTo(new ViewReads.After("5", "5"));
        assertThat(after.decode(issuedDuring, "orders", "key")).isEqualTo(new ViewReads.After("5", "5"));
        assertThatThrownBy(() -> after.decode(issuedBefore, "orders", "key")).isInstanceOf(Problem.class);
        // the same position, re-encoded by hand with another key, or unsigned: refused
        String payload = issuedDuring.substring(0, issuedDuring.lastIndexOf('.'));
        String forged = Cursors.unsigned().encode("orders", "key", "1", "1");
        for (String edited : List.of(forged, forged + issuedDuring.substring(issuedDuring.lastIndexOf('.')), payload,
                payload + ".", issuedDuring + "x")) {
            assertThatThrownBy(() -> after.decode(edited, "orders", "key")).as(edited)
                    .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.type()).isEqualTo("urn:outpost:problem:invalid-cursor"));
        }
    }

    @Test
    void aCursorThatIsNotOneIsABadRequest() {
        for (String garbage : new String[] {"", "%%%", "bm90LWEtY3Vyc29y", Cursors.unsigned().encode("orders", "key", "not json", "1")}) {
            assertThatThrownBy(() -> Cursors.unsigned().decode(garbage, "orders", "key"))
                    .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
    }
}
