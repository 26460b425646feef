package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.core.config.ChangeMapping;
import io.outpost.core.config.ViewDefinition;
import io.outpost.store.ViewReads;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListParametersTest {

    private static final ViewDefinition ORDERS = new ViewDefinition("orders", "id", "SELECT id, status FROM orders",
            Map.of("orders", ChangeMapping.parse("id")), List.of("status", "placed_at"), List.of());

    @Test
    void aFilterValueIsAJsonStringAndAlsoTheScalarItReadsAs() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String value : new String[] {"PAID", "PAID' OR '1'='1", "quote \" and \\ back", "tab\tnew\nline\u0001", "ünï☃", ""}) {
            assertThat(ListParameters.candidates(value)).hasSize(1);
            assertThat(json.readTree(ListParameters.candidates(value).getFirst()).asText()).isEqualTo(value);
        }
        assertThat(ListParameters.candidates("5")).containsExactly("\"5\"", "5");
        assertThat(ListParameters.candidates("-1.5e3")).containsExactly("\"-1.5e3\"", "-1.5e3");
        assertThat(ListParameters.candidates("true")).containsExactly("\"true\"", "true");
        assertThat(ListParameters.candidates("05")).containsExactly("\"05\"");
        assertThat(ListParameters.rangeValue("20")).isEqualTo("20");
        assertThat(ListParameters.rangeValue("2026-11-21")).isEqualTo("\"2026-11-21\"");
        assertThat(ListParameters.rangeValue("true")).isEqualTo("\"true\"");
    }

    @Test
    void parametersBecomeAQueryOfDeclaredFieldsOnly() {
        String after = Cursors.unsigned().encode("orders", "-placed_at", "\"2026-11-21\"", "7");
        ViewReads.ListQuery query = ListParameters.parse(ORDERS, "int8", Map.of("status", List.of("PAID", "5"),
                "placed_at.gte", List.of("2026-11-01"), "sort", List.of("-placed_at"), "limit", List.of("5"),
                "after", List.of(after)), Cursors.unsigned(), null);
        assertThat(query.filters()).containsExactlyInAnyOrder(
                new ViewReads.Filter("status", ViewReads.Operator.EQ, List.of("\"PAID\"", "\"5\"", "5")),
                new ViewReads.Filter("placed_at", ViewReads.Operator.GTE, List.of("\"2026-11-01\"")));
        assertThat(query.sortField()).isEqualTo("placed_at");
        assertThat(query.descending()).isTrue();
        assertThat(query.limit()).isEqualTo(5);
        assertThat(query.after()).isEqualTo(new ViewReads.After("\"2026-11-21\"", "7"));
        assertThat(ListParameters.parse(ORDERS, "int8", Map.of(), Cursors.unsigned(), null).limit()).isEqualTo(ListParameters.DEFAULT_LIMIT);
    }

    @Test
    void whatDoesNotFitTheViewIsABadRequestNamingIt() {
        for (var bad : List.of(Map.of("customer", List.of("1")), Map.of("status.between", List.of("1")),
                Map.of("sort", List.of("total")), Map.of("limit", List.of("101")), Map.of("limit", List.of("x")),
                Map.of("q", List.of("ada")), Map.of("placed_at.gt", List.of("1", "2")))) {
            assertThatThrownBy(() -> ListParameters.parse(ORDERS, "int8", bad, Cursors.unsigned(), null))
                    .as(bad.toString()).isInstanceOfSatisfying(Problem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
    }
}
