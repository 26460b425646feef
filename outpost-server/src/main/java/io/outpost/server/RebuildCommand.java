package io.outpost.server;

import io.outpost.core.OutpostException;
import io.outpost.core.config.OutpostConfig;
import io.outpost.projector.ProjectorSettings;
import io.outpost.projector.Rebuild;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rebuild", mixinStandardHelpOptions = true,
        description = {"Builds a view of a region afresh from its replica tables, into a new table that replaces",
            "the old one when complete (queries keep being answered from the old one until then).",
            "The region's running projector does it between two batches; if none runs, this command does."})
final class RebuildCommand extends ConfigCommand {

    private static final int BAR = 30;

    @Option(names = "--region", required = true, paramLabel = "REGION", description = "The region whose view to rebuild.")
    String region;

    @Option(names = "--view", required = true, paramLabel = "VIEW", description = "The view to rebuild.")
    String view;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT1H",
            description = "How long to wait for the region's projector (ISO-8601, default: 1 hour).")
    Duration timeout;

    @Override
    int run(OutpostConfig parsed, PrintWriter out, PrintWriter err) {
        try {
            long documents = Rebuild.run(ProjectorSettings.of(parsed, region), view, progress -> {
                out.print("\r" + bar(progress));
                out.flush();
            }, timeout);
            out.println();
            out.printf("view %s of region %s rebuilt: %,d documents%n", view, region, documents);
            out.flush();
            return 0;
        } catch (OutpostException e) {
            out.println();
            out.flush();
            err.println("outpost: " + e.getMessage());
            return 1;
        }
    }

    /** {@code orders [##########----------]  50%  5,000/10,000 documents}. */
    private String bar(Rebuild.Progress progress) {
        if (progress.total() == null || progress.total() == 0) {
            return String.format("%s [%s] %s", view, "-".repeat(BAR), progress.state().toLowerCase(java.util.Locale.ROOT)
                    + (progress.total() == null ? ", waiting for the region's projector" : ""));
        }
        int filled = (int) (BAR * progress.written() / progress.total());
        return String.format("%s [%s%s] %3d%%  %,d/%,d documents", view, "#".repeat(filled), "-".repeat(BAR - filled),
                100 * progress.written() / progress.total(), progress.written(), progress.total());
    }
}
