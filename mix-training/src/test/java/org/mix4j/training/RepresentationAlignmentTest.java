package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.RgbImage;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.weights.Checkpoint;

/**
 * {@code alignment:} (REPA) on the tiny SD's whole-UNet recipe at 16 px (8x8 latents, the size of the
 * shipped tiny CLIP's patch grid), the tiny CLIP of examples/retrieval/shapes.yaml as the encoder.
 */
class RepresentationAlignmentTest extends WithRuntime {

    static final Path ENCODER = Path.of("..", "examples", "retrieval", "shapes.yaml").toAbsolutePath().normalize();
    static final String PROJECTOR = RepresentationAlignment.PREFIX;

    @TempDir
    Path dir;

    private static ConfigOverrides aligned(int steps) {
        return new ConfigOverrides().set("training.max_steps", steps, "test").set("training.micro_batch_size", 2, "test")
                .set("training.resolution", 16, "test").unset("training.eval_data", "test")
                .set("training.alignment", Map.of("encoder", ENCODER.toString(), "weight", 0.5, "projector_dim", 16), "test");
    }

    private static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new TreeMap<>();
        tensors.forEach((name, t) -> out.put(name, t.toFloatArray()));
        return out;
    }

    @Test
    void theProjectorTrainsIsKeptForResumeAndIsNotWrittenIntoTheModel() throws Exception {
        Path out = dir.resolve("aligned");
        CausalLmTrainingTest.Log log = new CausalLmTrainingTest.Log();
        Map<String, float[]> before;
        Map<String, float[]> after;
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, aligned(3), out)) {
            before = values(t.parameters().trainable());
            t.run(log, () -> false, null);
            after = values(t.parameters().trainable());
        }
        for (String name : List.of("0.weight", "0.bias", "2.weight", "4.weight", "4.bias")) {
            assertTrue(before.containsKey(PROJECTOR + name), before.keySet().toString());
            assertFalse(java.util.Arrays.equals(before.get(PROJECTOR + name), after.get(PROJECTOR + name)),
                    name + " did not train");
        }
        assertEquals(16 * 16, before.get(PROJECTOR + "0.weight").length, "[projector_dim, UNet channels at 8x8]");
        try (Checkpoint state = Checkpoint.open(out.resolve("state").resolve("trainable.safetensors"));
                Checkpoint unet = Checkpoint.open(out.resolve("unet"))) {
            assertTrue(state.tensors().containsKey(PROJECTOR + "2.weight"), state.tensors().keySet().toString());
            assertTrue(unet.tensors().keySet().stream().noneMatch(n -> n.contains("alignment")), "the model has no projector");
            assertTrue(unet.tensors().containsKey("down_blocks.0.resnets.0.conv1.weight"));
        }

        CausalLmTrainingTest.Log plain = new CausalLmTrainingTest.Log();
        ConfigOverrides without = new ConfigOverrides().set("training.max_steps", 3, "test")
                .set("training.micro_batch_size", 2, "test").set("training.resolution", 16, "test")
                .unset("training.eval_data", "test");
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, without, dir.resolve("plain"))) {
            t.run(plain, () -> false, null);
        }
        // the first step's draws are the same; its loss adds the alignment term, about -0.5 * cos at the start
        assertNotEquals(plain.losses.get(0), log.losses.get(0), 1e-4);
        assertTrue(Math.abs(plain.losses.get(0) - log.losses.get(0)) < 0.5 + 1e-6, plain.losses + " / " + log.losses);
    }

    /** The term recomputed here in double precision: the projector as an MLP, the cosine per patch, the mean. */
    @Test
    void theTermIsMinusWeightTimesTheMeanCosineOfProjectedStatesAndPatchFeatures() throws Exception {
        List<RgbImage> images = List.of(ImageDecoder.readRgb(LatentCacheTest.RED), ImageDecoder.readRgb(LatentCacheTest.BLUE));
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, aligned(1), dir.resolve("term"));
                NDManager scope = manager.newSubManager();
                RetrievalPipeline clip = RetrievalPipeline.load(PipelineConfig.load(ENCODER), runtime.loader(), scope)) {
            RepresentationAlignment alignment = ((DiffusionObjective) t.objective()).alignment();
            assertEquals(8, alignment.grid().rows());
            Map<String, float[]> p = values(t.parameters().trainable());
            long channels = 16;
            float[] hidden = new float[(int) (2 * channels * 64)];
            Random random = new Random(5);
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = (float) random.nextGaussian();
            }
            float[] loss = alignment.loss(scope.create(hidden, new Shape(2, channels, 8, 8)), images, scope).toFloatArray();
            float[] features = clip.encoder().encode(clip.imageProcessor().preprocess(images, scope)).features().toFloatArray();
            int width = clip.encoder().hiddenSize();
            for (int b = 0; b < 2; b++) {
                double sum = 0;
                for (int patch = 0; patch < 64; patch++) {
                    double[] x = new double[(int) channels];
                    for (int c = 0; c < channels; c++) {
                        x[c] = hidden[(int) ((b * channels + c) * 64 + patch)]; // [B, C, 8, 8], patches row by row
                    }
                    double[] h = layer(layer(layer(x, p, "0", 16, true), p, "2", 16, true), p, "4", width, false);
                    double dot = 0;
                    double hh = 0;
                    double ff = 0;
                    for (int d = 0; d < width; d++) {
                        double f = features[(b * 64 + patch) * width + d];
                        dot += h[d] * f;
                        hh += h[d] * h[d];
                        ff += f * f;
                    }
                    sum += dot / Math.sqrt(hh) / Math.sqrt(ff);
                }
                assertEquals(-0.5 * sum / 64, loss[b], 1e-5, "image " + b);
            }
        }
    }

    private static double[] layer(double[] x, Map<String, float[]> p, String index, int out, boolean silu) {
        float[] w = p.get(PROJECTOR + index + ".weight");
        float[] bias = p.get(PROJECTOR + index + ".bias");
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double v = bias[o];
            for (int i = 0; i < x.length; i++) {
                v += w[o * x.length + i] * x[i];
            }
            y[o] = silu ? v / (1 + Math.exp(-v)) : v;
        }
        return y;
    }

    @Test
    void anInterruptedAndResumedRunEqualsTheUninterruptedOne() {
        CausalLmTrainingTest.Log straight = new CausalLmTrainingTest.Log();
        Map<String, float[]> expected;
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, aligned(4), dir.resolve("straight"))) {
            t.run(straight, () -> false, null);
            expected = values(t.parameters().trainable());
        }
        Path out = dir.resolve("interrupted");
        CausalLmTrainingTest.Log first = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, aligned(4), out)) {
            assertTrue(t.run(first, () -> first.losses.size() >= 2, null).stopped());
        }
        CausalLmTrainingTest.Log second = new CausalLmTrainingTest.Log();
        Map<String, float[]> resumed;
        try (Trainer t = trainer(DiffusionTrainingTest.FULL_RECIPE, aligned(4), out)) {
            t.run(second, () -> false, out.resolve("state"));
            resumed = values(t.parameters().trainable());
        }
        List<Double> curve = new ArrayList<>(first.losses);
        curve.addAll(second.losses);
        for (int i = 0; i < 4; i++) {
            assertEquals(straight.losses.get(i), curve.get(i), 1e-6, "loss of step " + (i + 1));
        }
        assertEquals(expected.keySet(), resumed.keySet());
        expected.forEach((name, v) -> assertArrayEquals(v, resumed.get(name), 1e-6f, name));
    }

    @Test
    void aBadAlignmentIsAnErrorThatSaysWhatIsWrong() {
        ConfigOverrides size = aligned(1).set("training.resolution", 24, "test");
        String grid = assertThrows(IllegalArgumentException.class,
                () -> trainer(DiffusionTrainingTest.FULL_RECIPE, size, dir.resolve("a")).close()).getMessage();
        assertTrue(grid.contains("8x8") && grid.contains("12x12") && grid.contains("6x6"), grid);

        ConfigOverrides missing = aligned(1).set("training.alignment",
                Map.of("encoder", dir.resolve("none.yaml").toString()), "test");
        String file = assertThrows(IllegalArgumentException.class,
                () -> trainer(DiffusionTrainingTest.FULL_RECIPE, missing, dir.resolve("b")).close()).getMessage();
        assertTrue(file.contains("none.yaml") && file.contains("retrieval"), file);

        Path generation = Path.of("..", "examples", "generation", "shapes.yaml").toAbsolutePath().normalize();
        ConfigOverrides task = aligned(1).set("training.alignment", Map.of("encoder", generation.toString()), "test");
        String wrong = assertThrows(IllegalArgumentException.class,
                () -> trainer(DiffusionTrainingTest.FULL_RECIPE, task, dir.resolve("c")).close()).getMessage();
        assertTrue(wrong.contains("task: retrieval") && wrong.contains("generation"), wrong);

        ConfigOverrides weight = aligned(1).set("training.alignment",
                Map.of("encoder", ENCODER.toString(), "weight", 0), "test");
        Exception zero = assertThrows(RuntimeException.class,
                () -> trainer(DiffusionTrainingTest.FULL_RECIPE, weight, dir.resolve("d")).close());
        assertTrue(String.valueOf(zero.getMessage()).contains("alignment weight"), zero.getMessage());
    }
}
