package io.outpost.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTemplateTest {

    @Test
    void writesTheGivenNamesAndLeavesTheRestForTheEnvironment() {
        String text = "url: ${SHOP_DB_URL:-jdbc:postgresql://localhost/shop}\nuser: ${USER}\npassword: ${SECRET:-}\n"
                + "note: $${NOT_A_REFERENCE}\nport: ${PORT}";
        assertThat(ConfigTemplate.render(text, Map.of("SHOP_DB_URL", "jdbc:postgresql://db:5432/shop?a=$1", "PORT", "7001")))
                .isEqualTo("url: jdbc:postgresql://db:5432/shop?a=$1\nuser: ${USER}\npassword: ${SECRET:-}\n"
                        + "note: $${NOT_A_REFERENCE}\nport: 7001");
    }
}
