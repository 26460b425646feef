package io.outpost.gateway.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's files, shipped in the jar and read once: the page, its script and style, and
 * uPlot from its WebJar (no CDN: a gateway may have no way out to the internet). They hold no data;
 * the figures come from {@code /outpost/v1/dashboard}, guarded as the rest of {@code /outpost/v1/}.
 */
public final class DashboardFiles {

    /** uPlot's version, as the WebJar in the POM (a different one is a 404 that the dashboard's browser test sees). */
    static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
    private static final String OWN = "io/outpost/gateway/dashboard/";

    /** A file: what it is, its type, its bytes. */
    public record File(String summary, String contentType, byte[] bytes) {
    }

    /** Every file, by the path it is served at. */
    public static final Map<String, File> ALL = load();

    private DashboardFiles() {
    }

    private static Map<String, File> load() {
        Map<String, File> files = new LinkedHashMap<>();
        files.put("/outpost/", new File("The dashboard", "text/html; charset=utf-8", read(OWN + "index.html")));
        files.put("/outpost/dashboard.js", new File("The dashboard's script", "text/javascript; charset=utf-8",
                read(OWN + "dashboard.js")));
        files.put("/outpost/dashboard.css", new File("The dashboard's style", "text/css; charset=utf-8",
                read(OWN + "dashboard.css")));
        files.put("/outpost/lib/uPlot.iife.min.js", new File("uPlot, the dashboard's charts", "text/javascript; charset=utf-8",
                read(UPLOT + "uPlot.iife.min.js")));
        files.put("/outpost/lib/uPlot.min.css", new File("uPlot's style", "text/css; charset=utf-8", read(UPLOT + "uPlot.min.css")));
        return Map.copyOf(files);
    }

    private static byte[] read(String resource) {
        try (InputStream in = DashboardFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard's file " + resource + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard's file " + resource, e);
        }
    }
}
