package io.outpost.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ChangeMappingTest {

    @Test
    @DisplayName("change mapping: a column name is the changed row's key column")
    void aColumnNameIsAKeyColumn() {
        assertThat(ChangeMapping.parse("order_id")).isEqualTo(new ChangeMapping.KeyColumn("order_id"));
        assertThat(ChangeMapping.parse("  id ")).isEqualTo(new ChangeMapping.KeyColumn("id"));
    }

    @Test
    @DisplayName("change mapping: a SELECT with :column parameters is a key query, each parameter once in order of use")
    void aSelectWithParametersIsAKeyQuery() {
        ChangeMapping mapping = ChangeMapping.parse(
                "SELECT id FROM orders WHERE customer_id = :id OR (seller_id = :seller AND buyer_id = :id)");
        assertThat(mapping).isInstanceOf(ChangeMapping.KeyQuery.class);
        assertThat(((ChangeMapping.KeyQuery) mapping).parameters()).containsExactly("id", "seller");
    }

    @Test
    @DisplayName("change mapping: casts, quoted literals and quoted identifiers hold no parameters")
    void castsAndQuotesAreNotParameters() {
        ChangeMapping mapping = ChangeMapping.parse(
                "SELECT o.id::text FROM orders o WHERE o.note <> 'at 10:30 :x' AND \"a:b\" = :id::int8 AND o.c = 'it''s :y'");
        assertThat(((ChangeMapping.KeyQuery) mapping).parameters()).containsExactly("id");
        assertThat(((ChangeMapping.KeyQuery) mapping).render(p -> "p.\"" + p + "\"")).isEqualTo(
                "SELECT o.id::text FROM orders o WHERE o.note <> 'at 10:30 :x' AND \"a:b\" = p.\"id\"::int8 AND o.c = 'it''s :y'");
    }

    @Test
    @DisplayName("change mapping: a SELECT without parameters maps every change of the table to its keys (a global view)")
    void aSelectWithoutParametersIsEveryChange() {
        assertThat(ChangeMapping.parse("SELECT 'all'")).isEqualTo(new ChangeMapping.EveryChange("SELECT 'all'"));
        assertThat(ChangeMapping.parse("select key from totals where note = ':not_a_parameter'"))
                .isInstanceOf(ChangeMapping.EveryChange.class);
    }

    @Test
    @DisplayName("change mapping: anything else is refused, saying what a mapping may be")
    void anythingElseIsRefused() {
        assertThatThrownBy(() -> ChangeMapping.parse("DELETE FROM orders")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("must be a column name, or a SELECT that yields the affected keys, but was \"DELETE FROM orders\"");
        assertThatThrownBy(() -> ChangeMapping.parse("customer id")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChangeMapping.parse("WITH k AS (SELECT 1) SELECT * FROM k"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
