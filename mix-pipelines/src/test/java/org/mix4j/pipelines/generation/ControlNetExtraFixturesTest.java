package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mix4j.MixRuntime;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.golden.OutputResult;
import org.mix4j.registry.MixSettings;

/**
 * The {@code controlnet_pipeline} cases kept under {@code testdata/extra} (written once by
 * {@code testdata/extra/make_controlnet_nonsquare.py} with diffusers 0.31.0), run by the golden
 * suite's runner. {@code controlnet_nonsquare} resizes a 13x37 (height x width) control image to a
 * 16x24 output and has a conditioning embedding of widths [8, 24], at scale 0.55 and guidance 4.
 */
class ControlNetExtraFixturesTest {

    static final Path EXTRA = Path.of("..", "testdata", "extra");

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

    static Stream<GoldenCase> cases() {
        List<GoldenCase> cases = GoldenVerifier.discover(List.of(EXTRA)).stream()
                .filter(c -> c.kind().equals("controlnet_pipeline")).toList();
        assertFalse(cases.isEmpty(), "no controlnet_pipeline case under " + EXTRA.toAbsolutePath());
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fixturePassesThroughTheGoldenRunner(GoldenCase c) {
        GoldenVerifier verifier = new GoldenVerifier(
                List.of(new StableDiffusionCaseRunner(runtime.get(ComponentLoader.class))));
        CaseResult r = verifier.run(c, manager);
        System.out.println(r.line());
        r.outputs().forEach(o -> System.out.println("  " + o.summary()));
        if (r.error() != null) {
            r.error().printStackTrace();
        }
        assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        assertTrue(r.outputs().stream().allMatch(o -> o.compared() > 0), "every output was compared");
        assertTrue(r.outputs().stream().map(OutputResult::name).anyMatch(n -> n.equals("controlnet_cond")),
                "the preprocessed control image is compared");
    }
}
