package io.outpost.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The module rules of docs/architecture.md ("Modules"), checked on every build: a module's main code
 * imports only the Outpost modules its row names, and its POM depends (outside test scope) only on those.
 */
class LayeringTest {

    /** Module → the Outpost modules it may use. The key is the package segment after io.outpost. */
    private static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

    static {
        ALLOWED.put("core", Set.of());
        ALLOWED.put("embedded", Set.of());
        ALLOWED.put("runtime", Set.of("core"));
        ALLOWED.put("log", Set.of("core"));
        ALLOWED.put("source", Set.of("core"));
        ALLOWED.put("capture", Set.of("core", "runtime", "log", "source"));
        ALLOWED.put("store", Set.of("core"));
        ALLOWED.put("projector", Set.of("core", "runtime", "log", "store"));
        ALLOWED.put("gateway", Set.of("core", "runtime", "store", "source"));
        ALLOWED.put("control", Set.of("core", "runtime", "log"));
        ALLOWED.put("examples", Set.of());
        // what production deploys: no embedded servers, no example shop
        ALLOWED.put("server", Set.of("core", "runtime", "log", "source", "capture", "store", "projector", "gateway",
                "control"));
        Set<String> everything = Set.of("core", "embedded", "runtime", "log", "source", "capture", "store", "projector",
                "gateway", "control", "examples", "server");
        ALLOWED.put("demo", everything);
        ALLOWED.put("it", everything);
    }

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?io\\.outpost\\.(\\w+)\\.", Pattern.MULTILINE);
    private static final Pattern OUR_DEPENDENCY = Pattern.compile(
            "<dependency>\\s*<groupId>io\\.outpost</groupId>\\s*<artifactId>([\\w-]+)</artifactId>(.*?)</dependency>",
            Pattern.DOTALL);

    private static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("outpost-core/pom.xml"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the repository root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    /** Module directory → its package segment: outpost-capture → capture, examples/shop → examples. */
    private static Map<Path, String> modules(Path root) throws IOException {
        Map<Path, String> modules = new LinkedHashMap<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("outpost-")).sorted().toList()) {
                modules.put(dir, dir.getFileName().toString().substring("outpost-".length()));
            }
        }
        try (Stream<Path> dirs = Files.list(root.resolve("examples"))) {
            for (Path dir : dirs.filter(d -> Files.exists(d.resolve("pom.xml"))).sorted().toList()) {
                modules.put(dir, "examples");
            }
        }
        return modules;
    }

    private static String segmentOfArtifact(String artifactId) {
        return artifactId.startsWith("outpost-example-") ? "examples" : artifactId.substring("outpost-".length());
    }

    @Test
    @DisplayName("layering: each module imports only the modules docs/architecture.md allows it")
    void everyModuleImportsOnlyWhatItsRowAllows() throws IOException {
        Path root = root();
        List<String> violations = new ArrayList<>();
        Map<Path, String> modules = modules(root);
        assertThat(modules.values()).contains("core", "embedded", "server", "demo", "examples");
        for (var module : modules.entrySet()) {
            Set<String> allowed = ALLOWED.get(module.getValue());
            assertThat(allowed).as("a row for module " + module.getKey().getFileName() + " in this test").isNotNull();
            Path main = module.getKey().resolve("src/main/java");
            if (!Files.isDirectory(main)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(main)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = IMPORT.matcher(Files.readString(file));
                    while (m.find()) {
                        String used = m.group(1);
                        if (!used.equals(module.getValue()) && !allowed.contains(used)) {
                            violations.add(root.relativize(file) + " imports io.outpost." + used);
                        }
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    @DisplayName("layering: each module's POM depends only on the modules docs/architecture.md allows it")
    void everyPomDependsOnlyOnWhatItsRowAllows() throws IOException {
        Path root = root();
        Set<String> violations = new TreeSet<>();
        for (var module : modules(root).entrySet()) {
            String pom = Files.readString(module.getKey().resolve("pom.xml"));
            Matcher m = OUR_DEPENDENCY.matcher(pom);
            while (m.find()) {
                boolean testOnly = m.group(2).contains("<scope>test</scope>");
                String used = segmentOfArtifact(m.group(1));
                if (!testOnly && !ALLOWED.get(module.getValue()).contains(used)) {
                    violations.add(module.getKey().getFileName() + " depends on " + m.group(1));
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    @DisplayName("layering: the check itself catches a forbidden import")
    void detectsAForbiddenImport() {
        Matcher m = IMPORT.matcher("package io.outpost.gateway;\nimport io.outpost.projector.Projector;\n");
        assertThat(m.find()).isTrue();
        assertThat(ALLOWED.get("gateway")).doesNotContain(m.group(1));
    }
}
