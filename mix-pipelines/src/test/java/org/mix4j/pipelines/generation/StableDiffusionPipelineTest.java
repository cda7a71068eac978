package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.allClose;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/**
 * The pipeline on the tiny components of the {@code sd_pipeline} fixture (UNet, VAE, DDIM; prompt
 * embeddings given, since the text encoder lives in another module): memory, seeds, batching,
 * guidance, MultiDiffusion and img2img behaviour.
 */
class StableDiffusionPipelineTest {

    private static NDManager models;
    private static GenerationComponents parts;
    private NDManager manager;

    @BeforeAll
    static void load() {
        models = NDManager.newBaseManager();
        Path dir = golden("sd_pipeline");
        String yaml = DiffusersLayout.yaml(dir, DiffusersLayout.modelIndex(dir), DiffusionFixtures.loader().registry(),
                null, null).orElseThrow();
        Map<String, ComponentSpec> sections = new java.util.LinkedHashMap<>(DiffusersLayout.sections(yaml, "test"));
        sections.remove("text_encoder"); // clip_text is in mix-encoders; these tests give embeddings
        parts = GenerationComponents.load(sections, dir, DiffusionFixtures.loader(), models, DataType.FLOAT32, 0);
    }

    @AfterAll
    static void unload() {
        parts.close();
        models.close();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private StableDiffusionPipeline pipeline() {
        return new StableDiffusionPipeline(parts);
    }

    /** Random prompt embeddings of the fixture's width, one prompt. */
    private GenerationRequest.Builder request(long seed) {
        NDArray cond = new PipelineNoiseProbe(seed).embeds(manager);
        NDArray uncond = new PipelineNoiseProbe(seed + 100).embeds(manager);
        return GenerationRequest.builder().promptEmbeds(cond, uncond).steps(2).seed(seed);
    }

    @Test
    void fiftyStepsDoNotGrowNativeMemory() {
        GenerationRequest r = request(1).steps(50).build();
        int before = manager.getManagedArrays().size();
        List<Integer> counts = new ArrayList<>();
        GenerationObserver counter = new GenerationObserver() {
            @Override
            public void step(int index, double timestep, NDArray noisePred, NDArray latents) {
                counts.add(manager.getManagedArrays().size());
            }
        };
        try (GenerationResult result = pipeline().generate(r, PipelineNoise.seeded(1), counter, ProgressListener.NONE,
                manager)) {
            assertEquals(new Shape(1, 3, 16, 16), result.decoded().getShape());
        }
        assertEquals(50, counts.size());
        assertEquals(counts.get(1), counts.get(49), "arrays alive during step 50 vs step 2: " + counts);
        assertEquals(before, manager.getManagedArrays().size(), "arrays left behind by a 50-step run");
    }

    @Test
    void multiDiffusionAndImg2imgLeaveNoArraysBehind() {
        DenoiseTiling tiling = new DenoiseTiling("multidiffusion", 8, 4, true, 2);
        GenerationRequest panorama = request(2).size(48, 16).tiling(tiling).build();
        GenerationRequest img2img = request(3).initImage(checkerboard(16, 16)).strength(0.5).build();
        int before = manager.getManagedArrays().size();
        pipeline().generate(panorama, ProgressListener.NONE, manager).close();
        assertEquals(before, manager.getManagedArrays().size(), "MultiDiffusion left arrays behind");
        pipeline().generate(img2img, ProgressListener.NONE, manager).close();
        assertEquals(before, manager.getManagedArrays().size(), "img2img left arrays behind");
    }

    @Test
    void sameSeedSameImageOtherSeedOtherImage() {
        float[] a = latents(pipeline().generate(request(7).build(), ProgressListener.NONE, manager));
        float[] b = latents(pipeline().generate(request(7).build(), ProgressListener.NONE, manager));
        float[] c = latents(pipeline().generate(request(7).seed(8).build(), ProgressListener.NONE, manager));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void eachImageOfABatchDependsOnlyOnItsOwnSeed() {
        GenerationResult batch = pipeline().generate(request(5).imagesPerPrompt(2).seeds(11, 12).build(),
                ProgressListener.NONE, manager);
        GenerationResult second = pipeline().generate(request(5).seeds(12).build(), ProgressListener.NONE, manager);
        assertEquals(new Shape(2, 4, 8, 8), batch.latents().getShape());
        NDArray row = batch.latents().get("1:2");
        assertTrue(allClose(row, second.latents(), 1e-4, 1e-4), "max |err| " + maxAbsDiff(row, second.latents()));
        assertTrue(maxAbsDiff(batch.latents().get("0:1"), row) > 1e-2, "the two images of the batch are different");
    }

    @Test
    void guidanceOfOneRunsWithoutANegativePrompt() {
        NDArray cond = new PipelineNoiseProbe(4).embeds(manager);
        List<NDArray> negatives = new ArrayList<>();
        GenerationObserver seen = new GenerationObserver() {
            @Override
            public void promptEmbeds(NDArray positive, NDArray negative) {
                negatives.add(negative);
            }
        };
        GenerationRequest r = GenerationRequest.builder().promptEmbeds(cond, null).steps(3).guidanceScale(1.0).build();
        GenerationResult result = pipeline().generate(r, PipelineNoise.seeded(0), seen, ProgressListener.NONE, manager);
        assertEquals(1, negatives.size());
        assertNull(negatives.get(0));
        assertEquals(new Shape(1, 16, 16, 3), result.image().getShape());
    }

    @Test
    void oneMultiDiffusionViewOverTheWholeLatentEqualsThePlainLoop() {
        float[] plain = latents(pipeline().generate(request(9).build(), ProgressListener.NONE, manager));
        DenoiseTiling whole = new DenoiseTiling("multidiffusion", 64, 8, false, 1);
        float[] tiled = latents(pipeline().generate(request(9).tiling(whole).build(), ProgressListener.NONE, manager));
        float worst = 0;
        for (int i = 0; i < plain.length; i++) {
            worst = Math.max(worst, Math.abs(plain[i] - tiled[i]));
        }
        assertTrue(worst < 1e-5, "uncond/cond interleaved per view vs stacked halves: max |err| " + worst);
    }

    @Test
    void multiDiffusionMakesImagesWiderThanTheNativeSize() {
        DenoiseTiling tiling = new DenoiseTiling("multidiffusion", 8, 4, false, 1);
        List<Integer> viewRows = new ArrayList<>();
        GenerationObserver views = new GenerationObserver() {
            @Override
            public void step(int index, double timestep, NDArray noisePred, NDArray latents) {
                viewRows.add((int) noisePred.getShape().get(0));
            }
        };
        GenerationResult r = pipeline().generate(request(1).size(32, 32).tiling(tiling).build(), PipelineNoise.seeded(1),
                views, ProgressListener.NONE, manager);
        assertEquals(new Shape(1, 32, 32, 3), r.image().getShape());
        assertEquals(List.of(9, 9), viewRows, "3 x 3 views of 8 latents, stride 4, over a 16 x 16 latent");
    }

    @Test
    void img2imgRunsTheTruncatedTailOfTheSchedule() {
        double[][] seen = new double[2][];
        GenerationObserver steps = new GenerationObserver() {
            @Override
            public void timesteps(double[] schedule, double[] run) {
                seen[0] = schedule;
                seen[1] = run;
            }
        };
        GenerationRequest r = request(3).steps(8).strength(0.6).initImage(checkerboard(16, 16)).build();
        pipeline().generate(r, PipelineNoise.seeded(3), steps, ProgressListener.NONE, manager);
        assertEquals(8, seen[0].length);
        assertArrayEquals(Arrays.copyOfRange(seen[0], 4, 8), seen[1], "int(8 * 0.6) = 4 steps, from index 4");
        GenerationRequest none = request(3).steps(2).strength(0.4).initImage(checkerboard(16, 16)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipeline().generate(none, ProgressListener.NONE, manager));
        assertTrue(e.getMessage().contains("runs no step"), e.getMessage());
    }

    @Test
    void rejectsSizesThatAreNotMultiplesOfTheVaeFactor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipeline().generate(request(1).size(17, 16).build(), ProgressListener.NONE, manager));
        assertTrue(e.getMessage().contains("multiple of the VAE's scale factor 2"), e.getMessage());
    }

    @Test
    void reportsProgressPerStep() {
        List<String> events = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void start(String task, long total) {
                events.add("start " + task + " " + total);
            }

            @Override
            public void advance(long steps) {
                events.add("+" + steps);
            }

            @Override
            public void finish() {
                events.add("finish");
            }
        };
        pipeline().generate(request(1).steps(3).build(), listener, manager);
        assertEquals(List.of("start denoising 3", "+1", "+1", "+1", "finish"), events);
    }

    @Test
    void nonFiniteLatentsAreReportedInsteadOfWritingABlackImage() {
        NDArray cond = new PipelineNoiseProbe(4).embeds(manager).mul(Float.NaN); // as NaN weights would give
        GenerationRequest r = GenerationRequest.builder().promptEmbeds(cond, new PipelineNoiseProbe(5).embeds(manager))
                .steps(2).build();
        int before = manager.getManagedArrays().size();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pipeline().generate(r, ProgressListener.NONE, manager));
        assertTrue(e.getMessage().startsWith("the denoising loop produced NaN latents after 2 steps"), e.getMessage());
        assertEquals(before, manager.getManagedArrays().size(), "arrays left behind by the failed run");
    }

    @Test
    void rejectsNonFiniteGuidanceAndStrength() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                    () -> request(1).guidanceScale(bad).build());
            assertEquals("guidance_scale must be a finite number, got " + bad, g.getMessage());
            IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                    () -> request(1).strength(bad).build());
            assertEquals("strength must be a finite number, got " + bad, s.getMessage());
        }
    }

    @Test
    void textPromptsWithoutATokenizerFailClearly() {
        GenerationRequest r = GenerationRequest.builder().prompt("a cat").steps(2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> pipeline().generate(r, ProgressListener.NONE, manager));
        assertTrue(e.getMessage().contains("'tokenizer:'"), e.getMessage());
    }

    private static float[] latents(GenerationResult r) {
        try (r) {
            return r.latents().toFloatArray();
        }
    }

    private static RgbImage checkerboard(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                byte v = (byte) (((x / 4 + y / 4) % 2) * 200 + 20);
                px[(y * w + x) * 3] = v;
                px[(y * w + x) * 3 + 1] = (byte) (x * 15);
                px[(y * w + x) * 3 + 2] = (byte) (y * 15);
            }
        }
        return new RgbImage(w, h, px);
    }

    /** Random prompt embeddings [1, 16, 32] (the fixture UNet's cross-attention width) from a seed. */
    private record PipelineNoiseProbe(long seed) {
        NDArray embeds(NDManager manager) {
            return PipelineNoise.seeded(seed).randn(PipelineNoise.Draw.INITIAL_LATENTS, manager, new Shape(1, 16, 32));
        }
    }
}
