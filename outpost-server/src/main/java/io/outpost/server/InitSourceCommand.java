package io.outpost.server;

import io.outpost.core.config.OutpostConfig;
import io.outpost.source.SourceSetup;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init-source", mixinStandardHelpOptions = true,
        description = {"Prints the SQL that gives Outpost the least it needs on the source database: source.user may",
            "replicate and read the captured tables only, the publication of those tables, and the schema outpost",
            "(the idempotency ledger). With --apply, runs it in one transaction as --admin-user, whose password",
            "is read from $OUTPOST_ADMIN_PASSWORD."})
final class InitSourceCommand extends ConfigCommand {

    @Option(names = "--apply", description = "Run the SQL instead of printing it.")
    boolean apply;

    @Option(names = "--admin-user", defaultValue = "postgres", paramLabel = "USER",
            description = "A superuser or the tables' owner, for --apply (default: ${DEFAULT-VALUE}).")
    String adminUser;

    @Override
    int run(OutpostConfig config, PrintWriter out, PrintWriter err) {
        if (!apply) {
            out.print(SourceSetup.script(config.source(), this.config.path.toString()));
            return 0;
        }
        String password = System.getenv("OUTPOST_ADMIN_PASSWORD");
        try (Connection c = DriverManager.getConnection(config.source().url(), adminUser, password == null ? "" : password)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String statement : SourceSetup.statements(config.source())) {
                    s.execute(statement);
                }
            }
            c.commit();
        } catch (SQLException e) {
            err.println("outpost init-source: the source database " + config.source().url() + " refused the set-up as "
                    + adminUser + ": " + e.getMessage() + "; nothing was changed (one transaction). Run it as a superuser "
                    + "or the captured tables' owner (--admin-user), or print the SQL without --apply and run it yourself");
            return 1;
        }
        out.println("source " + config.source().name() + ": role " + config.source().user() + " may replicate and read "
                + config.source().tables().size() + " tables; publication " + config.source().publication()
                + "; schema outpost is the role's. Set the role's password with ALTER ROLE if it has none.");
        return 0;
    }
}
