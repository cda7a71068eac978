package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;
import org.mix4j.registry.RegisteredComponent;

/**
 * Every golden fixture, one dynamic test per case, run with every built-in module on the classpath
 * and the torchscript plugin loaded from the jar its module builds (as {@code mix plugins install}
 * would), so {@code torchscript_block} runs {@code torchscript:encoder} and {@code torchscript:connector}.
 * The fixture directories come from {@code -Dmix.golden.dir} (several separated by the path
 * separator). Every fixture in {@code testdata/golden} has a runner and a kind without one fails;
 * for other directories {@code -Dmix.golden.strict=false} reports such a case as skipped with the
 * reason instead.
 */
class GoldenSuiteTest {

    /** Where the torchscript module packs its plugin jar (at process-classes, so {@code mvn test} has it). */
    static final Path TORCHSCRIPT_TARGET = Path.of("..", "plugins", "torchscript", "target");

    @TempDir
    static Path plugins;

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() throws IOException {
        Path jar = pluginJar(TORCHSCRIPT_TARGET, "torchscript");
        Files.copy(jar, plugins.resolve(jar.getFileName()));
        runtime = MixRuntime.start(MixSettings.withPlugins(plugins));
        manager = NDManager.newBaseManager();
    }

    /** The {@code <id>-<version>.jar} a plugin module packed in {@code target}. */
    static Path pluginJar(Path target, String id) throws IOException {
        try (Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches(Pattern.quote(id) + "-[0-9].*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + id + " plugin jar in " + target.toAbsolutePath()
                            + ": build it with mvn test (the reactor builds the plugin before this module)"));
        } catch (NoSuchFileException e) {
            throw new AssertionError(target.toAbsolutePath() + " does not exist: run mvn test from the repository root", e);
        }
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    @Test
    void torchscriptTypesComeFromThePluginJarUnderTheirNamespace() {
        for (String type : List.of("torchscript:encoder", "torchscript:connector", "torchscript:denoiser")) {
            RegisteredComponent c = runtime.registry().find(type);
            assertNotNull(c, type + " not registered");
            assertEquals("torchscript", runtime.registry().pluginOf(c.factory().getClass()), type);
        }
        for (String bare : List.of("encoder", "connector", "denoiser")) {
            assertNull(runtime.registry().find(bare), "'" + bare + "' registered without the plugin namespace");
        }
    }

    @TestFactory
    Stream<DynamicTest> goldenCases() {
        String dirs = System.getProperty("mix.golden.dir", "../testdata/golden");
        boolean strict = !"false".equals(System.getProperty("mix.golden.strict"));
        List<Path> roots = Arrays.stream(dirs.split(File.pathSeparator)).map(Path::of).toList();
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(roots);
        if (cases.isEmpty()) {
            fail("no case.json found under " + roots);
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name() + " [" + c.kind() + "]", c.dir().toUri(), () -> {
            CaseResult r = verifier.run(c, manager);
            System.out.println(r.line());
            switch (r.status()) {
                case PASS -> { }
                case NO_RUNNER -> {
                    if (strict) {
                        fail(r.message() + " (set -Dmix.golden.strict=false to skip kinds without a runner)");
                    }
                    Assumptions.abort(r.message());
                }
                case FAIL -> fail(r.line());
                case ERROR -> fail(r.line(), r.error());
            }
        }));
    }
}
