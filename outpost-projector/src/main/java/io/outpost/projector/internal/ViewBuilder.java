package io.outpost.projector.internal;

import static io.outpost.store.StoreLayout.quote;

import io.outpost.core.SourcePosition;
import io.outpost.store.StoreLayout;
import io.outpost.store.ViewTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a view whole: into {@code views."<view>__build"} from the replicas, then swapped in for
 * the view's table and registered READY, all in the caller's transaction (readers keep the old
 * documents until it commits).
 */
final class ViewBuilder {

    /** Keys per statement when a rebuild reports progress. */
    private static final int CHUNK = 2000;

    /**
     * Builds {@code view} (validated: its key type known) at {@code position}. With a
     * {@code progress} listener (a rebuild someone watches) it goes in chunks of keys and reports
     * {@code (written, total)} after each; otherwise in one statement.
     *
     * @throws ViewFailure when the view's SQL fails
     */
    void build(Connection c, MaintainedView view, SourcePosition position, ViewMaintainer.Progress progress)
            throws SQLException {
        String name = view.name();
        String built = name + "__build";
        ViewTables.drop(c, built);
        ViewTables.create(c, built, view.definition, view.keyType);
        String table = StoreLayout.VIEWS_SCHEMA + "." + quote(built);
        try {
            if (progress == null) {
                try (PreparedStatement s = c.prepareStatement(ViewSql.insertComputed(view.definition, view.keyType, table, false))) {
                    s.setString(1, position.toString());
                    s.executeUpdate();
                }
            } else {
                inChunks(c, view, table, position, progress);
            }
        } catch (SQLException e) {
            throw new ViewFailure("view " + name + " could not be built at position " + position + ": "
                    + ViewValidator.firstLine(e), e);
        }
        ViewTables.swap(c, name, built);
        ViewTables.register(c, view.definition, view.keyType, ViewTables.State.READY, null);
        view.state = ViewTables.State.READY;
    }

    private static void inChunks(Connection c, MaintainedView view, String table, SourcePosition position,
                                 ViewMaintainer.Progress progress) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(ViewSql.distinctKeys(view.definition)); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        long written = 0;
        progress.report(0, keys.size());
        try (PreparedStatement s = c.prepareStatement(ViewSql.insertComputed(view.definition, view.keyType, table, true))) {
            for (int from = 0; from < keys.size(); from += CHUNK) {
                List<String> chunk = keys.subList(from, Math.min(keys.size(), from + CHUNK));
                s.setString(1, position.toString());
                s.setArray(2, c.createArrayOf("text", chunk.toArray()));
                written += s.executeUpdate();
                progress.report(written, keys.size());
            }
        }
    }
}
