package io.outpost.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class DemoCliTest {

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        assertThat(DemoMain.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), args)).isZero();
        return out.toString();
    }

    @Test
    void theDemoHasHelp() {
        assertThat(run("demo", "--help")).startsWith("Usage: outpost demo").contains("--data-dir", "--shop-port");
    }

    @Test
    void theDemosCommandLineIsTheProductionOnePlusDemo() {
        assertThat(run()).contains("demo", "run", "status", "rebuild", "tail", "validate", "config-reference");
    }
}
