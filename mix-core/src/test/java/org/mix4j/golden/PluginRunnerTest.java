package org.mix4j.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.registry.MixSettings;
import org.mix4j.testing.PluginJarBuilder;
import org.mix4j.weights.SafeTensorsWriter;

/** Golden runners contributed by plugin jars: new kinds run, a built-in kind is never taken over. */
class PluginRunnerTest {

    @TempDir
    Path dir;

    /** A plugin runner for {@code kind} that returns {@code y = x * multiplier}. */
    private static PluginJarBuilder runnerPlugin(String id, String kind, float multiplier) {
        String pkg = "demo." + id;
        return new PluginJarBuilder(id).source(pkg + ".Runner", """
                package %s;
                import ai.djl.ndarray.NDArray;
                import ai.djl.ndarray.NDManager;
                import java.util.Map;
                import java.util.Set;
                import org.mix4j.golden.GoldenCase;
                @org.pf4j.Extension
                public class Runner implements org.mix4j.golden.CaseRunner {
                    public Set<String> kinds() { return Set.of("%s"); }
                    public Map<String, NDArray> run(GoldenCase c, NDManager m) {
                        return Map.of("y", c.tensor("x", m).mul(%sf));
                    }
                }
                """.formatted(pkg, kind, multiplier)).extension(pkg + ".Runner");
    }

    private Path fixture(String name, String kind) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cases").resolve(name));
        try (NDManager m = NDManager.newBaseManager()) {
            new SafeTensorsWriter().put("x", m.create(new float[] {1, 2, 3}, new Shape(3)))
                    .put("y", m.create(new float[] {2, 4, 6}, new Shape(3))).write(d.resolve("io.safetensors"));
        }
        Files.writeString(d.resolve("case.json"), "{\"kind\": \"" + kind + "\", \"factor\": 2, \"inputs\": [\"x\"], "
                + "\"outputs\": [\"y\"], \"atol\": 1e-6, \"rtol\": 0}");
        return d;
    }

    @Test
    void pluginRunsItsOwnKindButCannotTakeOverABuiltInOne() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        runnerPlugin("doubler", "doubling", 2f).build(plugins);
        runnerPlugin("hijack", "test_scale", 100f).build(plugins); // test_scale is a built-in runner's kind
        Path own = fixture("own", "doubling");
        Path builtIn = fixture("builtin", "test_scale");
        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins)); NDManager m = NDManager.newBaseManager()) {
            GoldenVerifier v = GoldenVerifier.fromRegistry(rt.registry());
            CaseResult mine = v.run(GoldenVerifier.discover(List.of(own)).get(0), m);
            assertEquals(CaseResult.Status.PASS, mine.status(), mine.line());
            CaseResult kept = v.run(GoldenVerifier.discover(List.of(builtIn)).get(0), m);
            assertEquals(CaseResult.Status.PASS, kept.status(), "the built-in runner must stay: " + kept.line());
            assertTrue(rt.registry().plugins().stream().allMatch(p -> p.loaded()), rt.registry().plugins().toString());
        }
    }
}
