package io.outpost.gateway.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.javalin.http.Context;
import io.outpost.core.ConsistencyToken;
import io.outpost.store.RegionStore;
import io.outpost.store.ViewReads;
import io.outpost.store.WatermarkWatcher;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;

/**
 * Queries answered from the region's store: a document by key, a filtered and sorted page.
 *
 * <p>Consistency: a request may require a watermark (see {@link Consistency}). The gateway waits
 * for it on the projector's NOTIFY (through {@link WatermarkWatcher}) up to the request's patience,
 * then reads — and checks the requirement against the watermark the read itself saw, which is the
 * guarantee. When it is not met, {@link Forwarding} asks the other regions; never an older answer.
 * Documents by key may come from the {@link DocumentCache}, which holds exactly what a read would
 * return.
 */
public final class Queries {

    private static final JsonFactory JSON = new JsonFactory();

    private final String region;
    private final String source;
    private final RegionStore store;
    private final ViewRegistry views;
    private final WatermarkWatcher watcher;
    private final Duration maxWait;
    private final Forwarding forwarding;
    private final DocumentCache documents;
    private final InstantSource clock;

    public Queries(String region, String source, RegionStore store, ViewRegistry views, WatermarkWatcher watcher,
                   Duration maxWait, Forwarding forwarding, InstantSource clock) {
        this.region = region;
        this.source = source;
        this.store = store;
        this.views = views;
        this.watcher = watcher;
        this.maxWait = maxWait;
        this.forwarding = forwarding;
        this.documents = new DocumentCache(watcher);
        this.clock = clock;
    }

    /** {@code GET …/views/{view}/{key}}. */
    public void byKey(Context ctx, String viewName, String key) throws SQLException, InterruptedException {
        Consistency requirement = Consistency.of(ctx::header, source, maxWait);
        ViewRegistry.View view = views.get(viewName);
        await(requirement);
        ViewReads.One one = documents.get(viewName, key);
        if (one == null || !requirement.metBy(one.snapshot(), clock.instant())) {
            try (Connection c = store.connect()) {
                one = ViewReads.byKey(c, source, viewName, view.keyType(), key);
            } catch (SQLException e) {
                throw dataProblem(e, "the key \"" + key + "\" is not a valid " + view.keyType() + ", the type of view "
                        + viewName + "'s key");
            }
            documents.put(viewName, key, one);
        }
        if (!requirement.metBy(one.snapshot(), clock.instant())) {
            forwarding.elsewhere(ctx, requirement, one.snapshot());
            return;
        }
        headers(ctx, one.snapshot());
        if (one.doc() == null) {
            throw new Problem(404, "not-found", "No such document", "view " + viewName + " has no document with key \""
                    + key + "\" in region " + region + " at its watermark");
        }
        ctx.contentType("application/json").result(one.doc());
    }

    /** {@code GET …/views/{view}?field=value&sort=…&limit=…&after=…&q=…}. */
    public void list(Context ctx, String viewName) throws SQLException, InterruptedException {
        Consistency requirement = Consistency.of(ctx::header, source, maxWait);
        ViewRegistry.View view = views.get(viewName);
        ViewReads.ListQuery query = ListParameters.parse(view.definition(), view.keyType(), ctx.queryParamMap());
        await(requirement);
        ViewReads.Page page;
        try (Connection c = store.connect()) {
            page = ViewReads.list(c, source, query);
        } catch (SQLException e) {
            throw dataProblem(e, "a value does not fit the type of what it is compared with");
        }
        if (!requirement.metBy(page.snapshot(), clock.instant())) {
            forwarding.elsewhere(ctx, requirement, page.snapshot());
            return;
        }
        headers(ctx, page.snapshot());
        ctx.contentType("application/json").result(pageJson(page, viewName, ListParameters.sortSpec(query)));
    }

    /** {@code {"items": [documents as stored], "next": cursor or null}}: documents are copied, not re-serialized. */
    private static String pageJson(ViewReads.Page page, String viewName, String sortSpec) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("items");
            for (ViewReads.Item item : page.items()) {
                json.writeRawValue(item.doc());
            }
            json.writeEndArray();
            if (page.more()) {
                ViewReads.Item last = page.items().getLast();
                json.writeStringField("next", Cursors.encode(viewName, sortSpec, last.sortValue(), last.key()));
            } else {
                json.writeNullField("next");
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing a page to a string failed", e);
        }
        return out.toString();
    }

    private void await(Consistency requirement) throws InterruptedException {
        if (requirement.any() && !requirement.patience().isZero()) {
            watcher.await(snapshot -> requirement.metBy(snapshot, clock.instant()), requirement.patience());
        }
    }

    private void headers(Context ctx, ViewReads.Snapshot snapshot) {
        ctx.header(Headers.REGION, region);
        if (snapshot.position() != null) {
            ctx.header(Headers.WATERMARK, new ConsistencyToken(source, snapshot.position()).encode());
        }
        Duration staleness = snapshot.staleness(clock.instant());
        if (staleness != null) {
            ctx.header(Headers.STALENESS, Long.toString(staleness.toMillis()));
        }
    }

    /** A value the store could not take (SQLSTATE class 22) is the request's fault: 400; anything else is the store's. */
    private static Problem dataProblem(SQLException e, String detail) throws SQLException {
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
            return Problem.badRequest("invalid-value", detail);
        }
        throw e;
    }
}
