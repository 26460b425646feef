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
                new Address("dashboards", String.join(", ", demo.gateways().values().stream()
                        .map(g -> g.url() + "/outpost/").toList()) + " (paste the OPS token below when asked)"),
                new Address("region stores", String.join(", ", demo.config().regions().values().stream()
                        .map(r -> r.name() + " " + r.store().url()).toList())),
                new Address("configuration", demo.configFile().toString()),
                new Address("data directory", demo.options().dataDirectory().toString()),
                new Address("log file", System.getProperty("outpost.log.file", "(console only)")));
    }

    /**
     * The tokens the commands use, as shell variables: {@code ALICE} is the example order's customer,
     * {@code BOB} another customer, {@code STAFF} staff, {@code OPS} an operator (the admin scope).
     */
    List<String> tokenExports() {
        Demo.Tokens tokens = demo.tokens();
        return List.of("export ALICE='" + tokens.customer() + "'", "export BOB='" + tokens.otherCustomer() + "'",
                "export STAFF='" + tokens.staff() + "'", "export OPS='" + tokens.operator() + "'");
    }

    /**
     * The example requests (run after {@link #tokenExports}): four to try, the read-your-writes pair,
     * then who may read what.
     */
    List<String> exampleCommands() {
        Demo.ExampleIds ids = demo.exampleIds();
        String shop = demo.shop().url();
        String alice = " -H \"Authorization: $ALICE\"";
        String order = "-H 'Content-Type: application/json' -d '{\"customer_id\": " + ids.customerId()
                + ", \"lines\": [{\"product_id\": " + ids.productId() + ", \"qty\": 1}]}'" + alice;
        Path headers = demo.options().dataDirectory().resolve("eu-west.headers");
        String gateways = String.join(" ", demo.gateways().values().stream().map(g -> g.url()).toList());
        return List.of(
                "curl -s " + shop + "/orders/" + ids.orderId() + alice,
                "curl -s -X POST " + shop + "/orders " + order,
                "./outpost tail --config " + demo.configFile() + " --from-beginning",
                "./outpost status --config " + demo.configFile(),
                "curl -s -D " + headers + " -X POST " + demo.gateways().get("eu-west").url() + "/orders " + order,
                "curl -s " + demo.gateways().get("ap-south").url() + "/customers/" + ids.customerId() + "/orders" + alice
                        + " -H \"Outpost-Min-Token: $(awk 'tolower($1)==\"outpost-token:\" {print $2}' " + headers
                        + " | tr -d '\\r')\" -i",
                "for g in " + gateways + "; do curl -s -o /dev/null -w '%{http_code} ' $g/orders/" + ids.orderId()
                        + " -H \"Authorization: $BOB\"; done; echo",
                "curl -s " + demo.gateways().get("ap-south").url() + "/orders/" + ids.orderId() + alice,
                "curl -s '" + demo.gateways().get("us-east").url() + "/outpost/v1/views/orders?limit=3'"
                        + " -H \"Authorization: $STAFF\"");
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
        text.append("\nTry (after the token exports below):\n");
        for (String command : commands.subList(0, 4)) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nRead your writes in another region: place an order through eu-west's gateway, then read the customer's\n"
                + "latest orders through ap-south's with the Outpost-Token it returned:\n");
        for (String command : commands.subList(4, 6)) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nWho may read what: every region checks bearer tokens (auth.mode: jwt) against the views' read rules.\n"
                + "Tokens for customer " + demo.exampleIds().customerId() + " (ALICE), customer "
                + demo.exampleIds().otherCustomerId() + " (BOB), staff and an operator (OPS: the dashboards), valid for "
                + Demo.TOKEN_LIFETIME.toHours()
                + " h — paste these first:\n");
        for (String export : tokenExports()) {
            text.append("  ").append(export).append('\n');
        }
        text.append("Bob gets 404 for Alice's order in every region (as if it did not exist), Alice reads it, staff list "
                + "everything:\n");
        for (String command : commands.subList(6, commands.size())) {
            text.append("  ").append(command).append('\n');
        }
        text.append("\nFailover: type `down us-east` (then Enter) to stop us-east's gateway and monitor as if its process died;\n"
                + "the status line shows it DOWN within seconds, and commands sent through eu-west go through ap-south's\n"
                + "backup link (their Outpost-Route header says so). `up us-east` brings it back (failback once it is UP).\n");
        text.append("\nPress Ctrl-C to stop everything.\n");
        return text.toString();
    }
}
