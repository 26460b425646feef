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
 *
 * <p>Who may read what ({@link ReadAccess}): a list reads only the rows the caller may see (its
 * rules are conditions of the same SQL, on every page); a document by key — read or cached, the
 * cache is shared by every caller — is checked against the same rules in memory, and one the caller
 * may not see is answered exactly as a missing one. A query answered by another region carries the
 * caller's credentials there, and that region applies the same rules.
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
    private final ReadAccess access;
    private final Cursors cursors;

    public Queries(String region, String source, RegionStore store, ViewRegistry views, WatermarkWatcher watcher,
                   Duration maxWait, Forwarding forwarding, InstantSource clock, ReadAccess access,
                   java.util.List<String> cursorKeys) {
        this.region = region;
        this.source = source;
        this.store = store;
        this.views = views;
        this.watcher = watcher;
        this.maxWait = maxWait;
        this.forwarding = forwarding;
        this.documents = new DocumentCache(watcher);
        this.clock = clock;
        this.access = access;
        this.cursors = new Cursors(cursorKeys);
    }

    /** The request's headers, without the forwarding ones unless another part of Outpost sent it. */
    private Consistency.HeaderSource headers(Context ctx) {
        boolean trusted = access.trusted(ctx);
        return name -> !trusted && Headers.HOPS.equals(name) ? null : ctx.header(name);
    }

    /** {@code GET …/views/{view}/{key}}. */
    public void byKey(Context ctx, String viewName, String key) throws SQLException, InterruptedException {
        Consistency.HeaderSource request = headers(ctx);
        Consistency requirement = Consistency.of(request, source, maxWait);
        ViewRegistry.View view = views.get(viewName);
        Visibility visible = access.visibility(ctx, viewName, key);
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
            forwarding.elsewhere(ctx, request, requirement, one.snapshot());
            return;
        }
        headers(ctx, one.snapshot());
        String doc = one.doc() == null ? null : visible.shown(one.doc());
        if (doc == null) {
            if (one.doc() != null) {
                access.hidden(ctx, viewName, key);
            }
            // the same answer whether the document is missing or hidden: nothing tells them apart
            throw new Problem(ProblemType.NOT_FOUND, "view " + viewName + " has no document with key \""
                    + key + "\" in region " + region + " at its watermark");
        }
        ctx.contentType("application/json").result(doc);
    }

    /** {@code GET …/views/{view}?field=value&sort=…&limit=…&after=…&q=…}. */
    public void list(Context ctx, String viewName) throws SQLException, InterruptedException {
        Consistency.HeaderSource request = headers(ctx);
        Consistency requirement = Consistency.of(request, source, maxWait);
        ViewRegistry.View view = views.get(viewName);
        Visibility visible = access.visibility(ctx, viewName, null);
        ViewReads.ListQuery query = ListParameters.parse(view.definition(), view.keyType(), ctx.queryParamMap(), cursors,
                visible.filters());
        await(requirement);
        ViewReads.Page page;
        try (Connection c = store.connect()) {
            page = ViewReads.list(c, source, query);
        } catch (SQLException e) {
            throw dataProblem(e, "a value does not fit the type of what it is compared with");
        }
        if (!requirement.metBy(page.snapshot(), clock.instant())) {
            forwarding.elsewhere(ctx, request, requirement, page.snapshot());
            return;
        }
        headers(ctx, page.snapshot());
        ctx.contentType("application/json").result(pageJson(page, viewName, ListParameters.sortSpec(query), visible));
    }

    /**
     * {@code {"items": [documents as stored], "next": cursor or null}}: documents are copied, not
     * re-serialized, unless a rule hides some of their fields.
     */
    private String pageJson(ViewReads.Page page, String viewName, String sortSpec, Visibility visible) {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("items");
            for (ViewReads.Item item : page.items()) {
                // the store applied the rules already: documents are parsed only when a rule hides fields
                String doc = visible.hides() ? visible.shown(item.doc()) : item.doc();
                if (doc != null) {
                    json.writeRawValue(doc);
                }
            }
            json.writeEndArray();
            if (page.more()) {
                ViewReads.Item last = page.items().getLast();
                json.writeStringField("next", cursors.encode(viewName, sortSpec, last.sortValue(), last.key()));
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
            return new Problem(ProblemType.INVALID_VALUE, detail);
        }
        throw e;
    }
}
