package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.MixRuntime;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;

/**
 * Every golden fixture, one dynamic test per case, run with every built-in module on the classpath.
 * The fixture directories come from {@code -Dmix.golden.dir} (several separated by the path
 * separator). The torchscript plugin is on the test classpath, so every fixture in
 * {@code testdata/golden} has a runner and a kind without one fails; for other directories
 * {@code -Dmix.golden.strict=false} reports such a case as skipped with the reason instead.
 */
class GoldenSuiteTest {

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
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
