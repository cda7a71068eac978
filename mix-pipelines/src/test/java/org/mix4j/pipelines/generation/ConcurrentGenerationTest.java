package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.mix4j.diffusion.DiffusionFixtures.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.diffusion.DiffusionFixtures;

/**
 * One {@link StableDiffusionPipeline} called from several threads at once gives, for every seed,
 * the image a call alone gives: each call has its own scheduler state (a shared DDIM schedule was
 * overwritten by the other thread's step count; DPM-Solver's multistep history was interleaved).
 */
class ConcurrentGenerationTest {

    private static final int THREADS = 2;
    private static final int CALLS_PER_THREAD = 3;

    private static NDManager models;
    private static GenerationComponents parts;

    @BeforeAll
    static void load() {
        models = NDManager.newBaseManager();
        Path dir = golden("sd_pipeline");
        String yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), DiffusionFixtures.loader().registry(),
                null, null).orElseThrow();
        Map<String, ComponentSpec> sections = new LinkedHashMap<>(DiffusersLayout.sections(yaml, "test"));
        sections.remove("text_encoder"); // clip_text is in mix-encoders; these tests give embeddings
        parts = GenerationComponents.load(sections, dir, DiffusionFixtures.loader(), models, DataType.FLOAT32, 0);
    }

    @AfterAll
    static void unload() {
        parts.close();
        models.close();
    }

    @Test
    void concurrentDdimCallsMatchSequentialOnes() throws Exception {
        assertConcurrentEqualsSequential(parts.scheduler());
    }

    @Test
    void concurrentDpmSolverCallsMatchSequentialOnes() throws Exception {
        Scheduler dpm = DiffusionFixtures.load("scheduler", Role.SCHEDULER,
                "type: dpm_solver_pp\nbeta_schedule: scaled_linear\nbeta_start: 0.00085\nbeta_end: 0.012\n", models);
        assertConcurrentEqualsSequential(dpm);
    }

    private static void assertConcurrentEqualsSequential(Scheduler scheduler) throws Exception {
        StableDiffusionPipeline pipeline = new StableDiffusionPipeline(new GenerationComponents(null, null,
                parts.denoiser(), parts.vae(), scheduler));
        int calls = THREADS * CALLS_PER_THREAD;
        List<float[]> sequential = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sequential.add(image(pipeline, i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[]>> concurrent = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int call = i;
                concurrent.add(pool.submit(() -> {
                    start.await();
                    return image(pipeline, call);
                }));
            }
            start.countDown();
            for (int i = 0; i < calls; i++) {
                assertArrayEquals(sequential.get(i), concurrent.get(i).get(), 1e-6f,
                        "call " + i + " (seed " + seed(i) + ", " + steps(i) + " steps) differs when run concurrently");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Calls differ in seed and step count, so a schedule or history leaking between them shows. */
    private static float[] image(StableDiffusionPipeline pipeline, int call) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray cond = PipelineNoise.seeded(seed(call)).randn(PipelineNoise.Draw.INITIAL_LATENTS, manager,
                    new Shape(1, 16, 32));
            NDArray uncond = PipelineNoise.seeded(seed(call) + 100).randn(PipelineNoise.Draw.INITIAL_LATENTS, manager,
                    new Shape(1, 16, 32));
            GenerationRequest r = GenerationRequest.builder().promptEmbeds(cond, uncond).steps(steps(call))
                    .seed(seed(call)).build();
            try (GenerationResult result = pipeline.generate(r, ProgressListener.NONE, manager)) {
                return result.image().toFloatArray();
            }
        }
    }

    private static long seed(int call) {
        return 40 + call;
    }

    private static int steps(int call) {
        return 2 + call % 3;
    }
}
