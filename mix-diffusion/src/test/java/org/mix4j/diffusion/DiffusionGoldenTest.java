package org.mix4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.MixRuntime;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;

/**
 * The golden fixtures of this module's kinds (UNet, VAE decode/encode, tiled VAE decode, LoRA), run with
 * only this module on the classpath, so a failure here points at mix-diffusion.
 */
class DiffusionGoldenTest {

    private static final List<String> KINDS = List.of("unet2d_condition", "vae_decoder", "vae_tiled_decode", "lora_unet",
            "controlnet");

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
    Stream<DynamicTest> moduleKindsMatchTheReference() {
        List<Path> roots = DiffusionFixtures.goldenRoots();
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        List<GoldenCase> cases = GoldenVerifier.discover(roots).stream()
                .filter(c -> KINDS.contains(c.kind())).toList();
        assertEquals(KINDS.size(), cases.stream().map(GoldenCase::kind).distinct().count(),
                "expected a fixture of every kind " + KINDS + " under " + roots);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CaseResult r = verifier.run(c, manager);
            System.out.println(r.line());
            if (r.error() != null) {
                r.error().printStackTrace();
                fail(r.line(), r.error());
            }
            assertTrue(r.passed(), r.line());
        }));
    }

    /**
     * {@code testdata/extra/unet_text_time} ({@code make_unet_text_time.py}): the golden UNet with
     * {@code addition_embed_type: text} and {@code time_embedding_act_fn: silu}, against diffusers.
     */
    @Test
    void theUnetWithThePooledPromptMatchesTheReference() {
        List<GoldenCase> cases = GoldenVerifier.discover(List.of(Path.of("..", "testdata", "extra"))).stream()
                .filter(c -> c.name().equals("unet_text_time")).toList();
        assertEquals(1, cases.size(), "testdata/extra/unet_text_time");
        CaseResult r = GoldenVerifier.fromRegistry(runtime.registry()).run(cases.get(0), manager);
        System.out.println(r.line());
        r.outputs().forEach(o -> System.out.println("  " + o.summary()));
        if (r.error() != null) {
            fail(r.line(), r.error());
        }
        assertTrue(r.passed(), r.line());
        assertTrue(r.outputs().stream().allMatch(o -> o.compared() > 0), "out_sample was compared");
    }
}
