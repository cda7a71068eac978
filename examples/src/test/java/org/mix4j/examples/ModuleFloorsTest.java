package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module floors of docs/architecture.md: model modules, plugins and the pipelines import only
 * their own packages and the plugin API (mix-core) — the pipelines find models through the registry,
 * never by class — training and serving each import the pipelines and the plugin API (not each
 * other), and only the CLI, the top floor, imports everything and knows the terminal libraries.
 */
class ModuleFloorsTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** A reference to a class by package, in an import or written out in code. */
    private static final Pattern REFERENCE = Pattern.compile("(?<![\\w.])(org\\.mix4j\\.[a-z][\\w.]*?)\\.[A-Z]");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** Module directory -> floor (0: plugin API, 1: models and plugins, 2: pipelines, 3: training, data tools and serving, 4: the CLI). */
    private static final Map<String, Integer> FLOORS = Map.ofEntries(
            Map.entry("mix-core", 0),
            Map.entry("mix-encoders", 1), Map.entry("mix-connectors", 1), Map.entry("mix-llm", 1),
            Map.entry("mix-diffusion", 1),
            Map.entry("mix-pipelines", 2),
            Map.entry("mix-training", 3), Map.entry("mix-data", 3), Map.entry("mix-serve", 3), Map.entry("mix-spark", 3),
            Map.entry("mix-cli", 4),
            Map.entry("plugins/torchscript", 1), Map.entry("plugins/pixel-shuffle", 1));

    /** The module that owns a package (first match by prefix). */
    private static String owner(String pkg) {
        if (pkg.startsWith("org.mix4j.encoders")) {
            return "mix-encoders";
        }
        if (pkg.startsWith("org.mix4j.connectors")) {
            return "mix-connectors";
        }
        if (pkg.startsWith("org.mix4j.llm")) {
            return "mix-llm";
        }
        if (pkg.startsWith("org.mix4j.diffusion")) {
            return "mix-diffusion";
        }
        if (pkg.startsWith("org.mix4j.pipelines")) {
            return "mix-pipelines";
        }
        if (pkg.startsWith("org.mix4j.training")) {
            return "mix-training";
        }
        if (pkg.startsWith("org.mix4j.data")) {
            return "mix-data";
        }
        if (pkg.startsWith("org.mix4j.serve")) {
            return "mix-serve";
        }
        if (pkg.startsWith("org.mix4j.spark")) {
            return "mix-spark";
        }
        if (pkg.startsWith("org.mix4j.cli")) {
            return "mix-cli";
        }
        if (pkg.startsWith("org.mix4j.plugins.torchscript")) {
            return "plugins/torchscript";
        }
        if (pkg.startsWith("org.mix4j.plugins.pixelshuffle")) {
            return "plugins/pixel-shuffle";
        }
        return "mix-core";
    }

    @Test
    void belowTheCliMainSourcesImportOnlyThemselvesAndThePluginApi() throws IOException {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Integer> module : FLOORS.entrySet()) {
            Path src = ROOT.resolve(module.getKey()).resolve("src/main/java");
            assertTrue(Files.isDirectory(src), "no sources at " + src);
            for (Path file : javaFiles(src)) {
                Matcher m = REFERENCE.matcher(COMMENT.matcher(Files.readString(file)).replaceAll(""));
                while (m.find()) {
                    String imported = m.group(1);
                    String target = owner(imported);
                    boolean ok = target.equals(module.getKey()) || target.equals("mix-core")
                            || module.getKey().equals("mix-cli")
                            || FLOORS.get(module.getKey()) == 3 && target.equals("mix-pipelines")
                            // mix-spark runs mix-data's tools on Spark; no other floor-3 module imports a sibling
                            || module.getKey().equals("mix-spark") && target.equals("mix-data");
                    if (!ok) {
                        violations.add(ROOT.relativize(file) + " uses " + imported);
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void onlyTheCliUsesTerminalLibraries() throws IOException {
        List<String> violations = new ArrayList<>();
        for (String module : FLOORS.keySet()) {
            if (module.equals("mix-cli")) {
                continue;
            }
            String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            for (String artifact : List.of("picocli", "progressbar")) {
                if (pom.contains("<artifactId>" + artifact + "</artifactId>")) {
                    violations.add(module + "/pom.xml depends on " + artifact);
                }
            }
            for (Path file : javaFiles(ROOT.resolve(module).resolve("src/main/java"))) {
                String text = Files.readString(file);
                if (text.contains("import picocli.") || text.contains("import me.tongfei.")) {
                    violations.add(ROOT.relativize(file) + " imports a terminal library");
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void onlyMixSparkCarriesSpark() throws IOException {
        List<String> violations = new ArrayList<>();
        List<Path> poms;
        try (Stream<Path> files = Files.walk(ROOT)) {
            poms = files.filter(p -> p.getFileName().toString().equals("pom.xml") && !p.toString().contains("/target/"))
                    .sorted().toList();
        }
        for (Path pom : poms) {
            String text = Files.readString(pom);
            boolean spark = text.contains("<groupId>org.apache.spark</groupId>");
            boolean mixSpark = text.contains("<artifactId>mix-spark</artifactId>");
            String module = ROOT.relativize(pom.getParent()).toString();
            if (module.equals("mix-spark") ? !text.contains("<scope>provided</scope>") : (mixSpark || spark)
                    && !module.isEmpty()) {
                violations.add(module + "/pom.xml");
            }
        }
        assertEquals(List.of(), violations, "Spark is for mix-spark alone, and provided there (the CLI, the "
                + "distribution and plugins never carry it)");
    }

    private static List<Path> javaFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }
}
