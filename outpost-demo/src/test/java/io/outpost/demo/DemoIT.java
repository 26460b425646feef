package io.outpost.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String shell(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit of %s: %s", command, output).isZero();
        return output;
    }

    /** The orders view's document of {@code id} in a region's store, or null. */
    private static String orderInRegion(String storeUrl, long id) throws Exception {
        try (var c = java.sql.DriverManager.getConnection(storeUrl);
             var s = c.prepareStatement("SELECT doc::text FROM views.orders WHERE key = ?")) {
            s.setLong(1, id);
            try (var rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    @Test
    void startsEverythingAndItsPrintedCurlCommandsWork(@TempDir Path dir) throws Exception {
        assumeTrue(new ProcessBuilder("curl", "--version").start().waitFor() == 0, "needs curl");
        Path data = dir.resolve("demo");

        try (Demo demo = Demo.start(Demo.Options.defaults(data).withShopPort(0))) {
            DemoBanner printed = new DemoBanner(demo);
            String banner = printed.text();
            assertThat(banner).contains(demo.shop().url(), demo.kafka().bootstrapServers(), data.toString(),
                    "Press Ctrl-C");
            List<String> commands = printed.exampleCommands().stream()
                    .map(c -> String.join("; ", printed.tokenExports()) + "; " + c).toList();
            assertThat(printed.exampleCommands()).hasSize(9).allSatisfy(c -> assertThat(banner).contains(c));
            assertThat(printed.tokenExports()).allSatisfy(c -> assertThat(banner).contains(c));
            assertThat(banner).contains("region stores", "region gateways", "us-east", "eu-west", "ap-south");
            assertThat(demo.capture().status().rows()).as("the seeded data, captured by the snapshot")
                    .isGreaterThanOrEqualTo(1300);

            JsonNode order = JSON.readTree(shell(commands.get(0)));
            assertThat(order.get("id").asLong()).isPositive();
            assertThat(order.get("lines").size()).isPositive();

            JsonNode placed = JSON.readTree(shell(commands.get(1)));
            assertThat(placed.get("status").asText()).isEqualTo("PLACED");
            assertThat(placed.get("id").asLong()).isEqualTo(1001);

            // the third command, run in-process: "./outpost tail --config FILE --from-beginning"
            List<String> tail = new java.util.ArrayList<>(List.of(printed.exampleCommands().get(2).split(" ")).subList(1, 5));
            tail.addAll(List.of("--idle-timeout", "PT3S"));
            java.io.StringWriter out = new java.io.StringWriter();
            int exit = DemoMain.execute(new java.io.PrintWriter(out, true), new java.io.PrintWriter(System.err, true),
                    tail.toArray(String[]::new));
            assertThat(exit).isZero();
            assertThat(out.toString())
                    .contains(" r public.customers {id=1} ")
                    .contains("schema public.orders (id int8 not null")
                    .contains(" c public.orders {id=1001} ")
                    .contains("end of transaction");

            // every region has the order placed above, in its orders view
            for (var region : demo.config().regions().values()) {
                await().alias("order 1001 in region " + region.name()).atMost(30, java.util.concurrent.TimeUnit.SECONDS)
                        .until(() -> orderInRegion(region.store().url(), 1001) != null);
                JsonNode inRegion = JSON.readTree(orderInRegion(region.store().url(), 1001));
                assertThat(inRegion.get("status").asText()).isEqualTo("PLACED");
                assertThat(inRegion.get("lines")).isEqualTo(placed.get("lines"));
            }

            // the monitors probe every gateway: each region UP by the majority, in the status line
            await().alias("every region UP by its monitors").atMost(30, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> demo.statusLine().startsWith("regions: us-east UP ")
                            && demo.statusLine().contains(" · eu-west UP ") && demo.statusLine().contains(" · ap-south UP "));
            // with what each region's metrics say (order 1001 became visible in each) and capture as the source sees it
            assertThat(demo.statusLine()).containsPattern("us-east UP [^·]* visible p50 \\d+ ms")
                    .containsPattern("ap-south UP [^·]* visible p50 \\d+ ms").containsPattern("· capture streaming \\(\\d+");

            // the fourth: "./outpost status --config FILE"
            java.io.StringWriter status = new java.io.StringWriter();
            exit = DemoMain.execute(new java.io.PrintWriter(status, true), new java.io.PrintWriter(System.err, true),
                    List.of(printed.exampleCommands().get(3).split(" ")).subList(1, 4).toArray(String[]::new));
            assertThat(exit).isZero();
            assertThat(status.toString()).contains("source shop: at ").contains("capture: streaming (slot outpost_shop, ")
                    .containsPattern("us-east +UP +\\d+/[0-9A-F]+ .* (\\d+ ms|-) +closed +customer_orders ready, orders ready, products ready")
                    .containsPattern("eu-west +UP +\\d+/[0-9A-F]+ ")
                    .containsPattern("ap-south +UP +\\d+/[0-9A-F]+ ");
            java.io.StringWriter statusJson = new java.io.StringWriter();
            List<String> asJson = new java.util.ArrayList<>(List.of(printed.exampleCommands().get(3).split(" ")).subList(1, 4));
            asJson.add("--json");
            exit = DemoMain.execute(new java.io.PrintWriter(statusJson, true), new java.io.PrintWriter(System.err, true),
                    asJson.toArray(String[]::new));
            assertThat(exit).isZero();
            com.fasterxml.jackson.databind.JsonNode statusDocument = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(statusJson.toString());
            assertThat(statusDocument.path("source").path("name").asText()).isEqualTo("shop");
            assertThat(statusDocument.path("capture").path("state").asText()).isEqualTo("streaming");
            assertThat(statusDocument.path("regions").get(0).path("rebuilds").isArray()).isTrue();
            assertThat(statusDocument.path("regions").get(0).path("gateway").path("command_targets").path("monolith").asText())
                    .as("what us-east's gateway says of its breakers").isEqualTo("closed");
            assertThat(statusDocument.path("regions").get(0).path("gateway").path("problem").isNull()).isTrue();
            assertThat(statusDocument.path("states_known").asBoolean()).isTrue();
            assertThat(statusDocument.path("regions")).extracting(r -> r.path("name").asText() + " " + r.path("state").asText())
                    .containsExactly("us-east UP", "eu-west UP", "ap-south UP");
            assertThat(statusDocument.path("regions").get(0).path("views").path("orders").asText()).isEqualTo("READY");
            assertThat(statusDocument.path("regions").get(0).path("watermark").asText()).matches("\\d+/[0-9A-F]+");

            // read your writes: an order placed through eu-west's gateway, read through ap-south's with its token
            JsonNode throughEuWest = JSON.readTree(shell(commands.get(4)));
            assertThat(throughEuWest.get("status").asText()).isEqualTo("PLACED");
            String read = shell(commands.get(5));
            assertThat(read).startsWith("HTTP/1.1 200").containsIgnoringCase("outpost-region: ap-south");
            JsonNode latest = JSON.readTree(read.substring(read.indexOf("\r\n\r\n") + 4)).get("latest_orders");
            assertThat(latest.get(0).get("id").asLong()).isEqualTo(throughEuWest.get("id").asLong());

            // who may read what: bob gets 404 for alice's order in every region, alice reads it, staff list everything
            assertThat(shell(commands.get(6)).strip()).isEqualTo("404 404 404");
            assertThat(JSON.readTree(shell(commands.get(7))).get("id").asLong()).isEqualTo(demo.exampleIds().orderId());
            JsonNode staffList = JSON.readTree(shell(commands.get(8))).get("items");
            assertThat(staffList).hasSize(3);
            assertThat(staffList.findValues("customer").stream().map(c -> c.get("id").asLong()).distinct().count())
                    .as("orders of several customers").isGreaterThan(1);

            // a rebuild, done by eu-west's running projector
            java.io.StringWriter rebuilt = new java.io.StringWriter();
            exit = DemoMain.execute(new java.io.PrintWriter(rebuilt, true), new java.io.PrintWriter(System.err, true),
                    "rebuild", "--config", demo.configFile().toString(), "--region", "eu-west", "--view", "products");
            assertThat(exit).isZero();
            assertThat(rebuilt.toString()).contains("100%  200/200 documents", "view products of region eu-west rebuilt: 200 documents");

            // failover from the console: us-east down, eu-west's commands go through ap-south's backup link; up, back home
            assertThat(DemoCommand.console(demo, "down us-east")).contains("us-east's gateway and monitor stopped");
            assertThat(DemoCommand.console(demo, "down us-east")).contains("down already");
            await().alias("us-east DOWN in the status line").atMost(30, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> demo.statusLine().contains("us-east DOWN"));
            String place = "curl -s -i -X POST " + demo.gateways().get("eu-west").url() + "/orders -H 'Content-Type: "
                    + "application/json' -H \"Authorization: $ALICE\" -d '{\"customer_id\": " + demo.exampleIds().customerId()
                    + ", \"lines\": [{\"product_id\": " + demo.exampleIds().productId() + ", \"qty\": 1}]}'";
            String exports = String.join("; ", printed.tokenExports()) + "; ";
            assertThat(shell(exports + place)).startsWith("HTTP/1.1 201").containsIgnoringCase("outpost-route: ap-south");
            assertThat(DemoCommand.console(demo, "up us-east")).contains("listening on");
            await().alias("us-east UP again, and commands home").atMost(30, java.util.concurrent.TimeUnit.SECONDS)
                    .until(() -> demo.statusLine().contains("us-east UP")
                            && shell(exports + place).toLowerCase(java.util.Locale.ROOT).contains("outpost-route: us-east"));
            assertThat(DemoCommand.console(demo, "sideways")).startsWith("type `down REGION` or `up REGION`");
        }
        assertThat(data.resolve("postgres")).doesNotExist();
        assertThat(data.resolve("kafka")).doesNotExist();
    }
}
