package io.outpost.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code outpost demo} prints once everything runs: every address a user of the demo may want,
 * and requests that work against the seeded data — a query and a command at the monolith, watching
 * the change log and the regions, then read-your-writes across regions: an order placed through
 * eu-west's gateway (its headers kept in the data directory), read through ap-south's with the
 * token the command returned.
 */
final class DemoBanner {

    /** One line of the banner: what, and where. */
    record Address(String what, String where) {
    }

    private final Demo demo;

    DemoBanner(Demo demo) {
        this.demo = demo;
    }

    /** Every address, in banner order. */
    List<Address> addresses() {
        return List.of(
                new Address("monolith (example shop)", demo.shop().url()),
                new Address("monolith's database", demo.shopJdbcUrl()),
                new Address("change log (Kafka)", demo.kafka().bootstrapServers() + ", topic " + demo.config().changesTopic()),
                new Address("region gateways", String.join(", ", demo.gateways().entrySet().stream()
                        .map(g -> g.getKey() + " " + g.getValue().url()).toList())),
                new Address("region stores", String.join(", ", demo.config().regions().values().stream()
                        .map(r -> r.name() + " " + r.store().url()).toList())),
                new Address("configuration", demo.configFile().toString()),
                new Address("data directory", demo.options().dataDirectory().toString()),
                new Address("log file", System.getProperty("outpost.log.file", "(console only)")));
    }

    /** The example requests: four to try, then the read-your-writes pair. */
    List<String> exampleCommands() {
        Demo.ExampleIds ids = demo.exampleIds();
        String shop = demo.shop().url();
        String order = "-H 'Content-Type: application/json' -d '{\"customer_id\": " + ids.customerId()
                + ", \"lines\": [{\"product_id\": " + ids.productId() + ", \"qty\": 1}]}'";
        Path headers = demo.options().dataDirectory().resolve("eu-west.headers");
        return List.of(
                "curl -s " + shop + "/orders/" + ids.orderId(),
                "curl -s -X POST " + shop + "/orders " + order,
                "./outpost tail --config " + demo.configFile() + " --from-beginning",
                "./outpost status --config " + demo.configFile(),
                "curl -s -D " + headers + " -X POST " + demo.gateways().get("eu-west").url() + "/orders " + order,
                "curl -s " + demo.gateways().get("ap-south").url() + "/customers/" + ids.customerId() + "/orders "
                        + "-H \"Outpost-Min-Token: $(awk 'tolower($1)==\"outpost-token:\" {print $2}' " + headers
                        + " | tr -d '\\r')\" -i");
    }

    /** The whole banner. */
    String text() {
        var text = new StringBuilder("\nOutpost demo is running\n\n");
        List<Address> addresses = addresses();
        int width = addresses.stream().mapToInt(a -> a.what().length()).max().orElse(10) + 2;
        for (Address address : addresses) {
            text.append("  ").append(String.format("%-" + width + "s", address.what())).append(address.where()).append('\n');
        }
        List<String> commands = exampleCommands();
        text.append("\nTry:\n");
        for (String command : commands.subList(0, 4)) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nRead your writes in another region: place an order through eu-west's gateway, then read the customer's\n"
                + "latest orders through ap-south's with the Outpost-Token it returned:\n");
        for (String command : commands.subList(4, commands.size())) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nPress Ctrl-C to stop everything.\n");
        return text.toString();
    }
}
