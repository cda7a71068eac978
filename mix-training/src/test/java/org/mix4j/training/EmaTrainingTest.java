package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.weights.Checkpoint;

/** {@code ema:} on the tiny SD recipe's whole UNet: the average written, resumed and refused. */
class EmaTrainingTest extends WithRuntime {

    @TempDir
    Path dir;

    private Trainer trainer(ConfigOverrides overrides, Path out) {
        return trainer(DiffusionTrainingTest.RECIPE, overrides, out);
    }

    private static Map<String, float[]> values(Map<String, NDArray> tensors) {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, t.stopGradient().toFloatArray()));
        return out;
    }

    /** The whole UNet trained {@code steps} steps of one picture each, with {@code ema} when not null. */
    private ConfigOverrides wholeUnet(int steps, Map<String, Object> ema) {
        ConfigOverrides o = new ConfigOverrides().unset("training.lora", "test")
                .set("training.trainable", List.of("denoiser"), "test").set("training.max_steps", steps, "test")
                .set("training.micro_batch_size", 1, "test").unset("training.eval_data", "test");
        return ema == null ? o : o.set("training.ema", ema, "test");
    }

    private Map<String, float[]> writtenUnet(Path out, List<String> names) {
        Map<String, float[]> values = new LinkedHashMap<>();
        try (NDManager scope = manager.newSubManager(); Checkpoint written = Checkpoint.open(out.resolve("unet"))) {
            var w = written.weights(scope, DataType.FLOAT32);
            names.forEach(n -> values.put(n, w.get(n.substring("denoiser.".length())).toFloatArray()));
        }
        return values;
    }

    /**
     * {@code ema:} writes the average of diffusers' EMAModel, recomputed here from the weights after each
     * step: the first update copies them, then {@code e = d e + (1 - d) w} with {@code d = min(decay, (1 +
     * j) / (10 + j))}, {@code j = step - 1}; decay 0.3 caps it from step 4 on (4/13 > 0.3).
     */
    @Test
    void emaWritesTheAverageDiffusersEmaModelKeepsAndTheWeightsTrainOn() {
        List<String> watched = List.of("denoiser.conv_in.weight", "denoiser.conv_out.bias",
                "denoiser.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.weight");
        List<Map<String, float[]>> after = new ArrayList<>();
        Path out = dir.resolve("ema");
        Map<String, float[]> last;
        try (Trainer t = trainer(wholeUnet(5, Map.of("decay", 0.3)), out)) {
            Map<String, NDArray> trainable = t.parameters().trainable();
            t.run(new Trainer.Listener() {
                @Override
                public void step(Trainer.StepReport report) {
                    after.add(values(Map.of(watched.get(0), trainable.get(watched.get(0)), watched.get(1),
                            trainable.get(watched.get(1)), watched.get(2), trainable.get(watched.get(2)))));
                }

                @Override
                public void eval(int step, Map<String, Double> metrics) {}

                @Override
                public void saved(Path saved) {}
            }, () -> false, null);
            last = values(Map.of(watched.get(0), trainable.get(watched.get(0))));
        }
        assertEquals(5, after.size());
        assertArrayEquals(after.get(4).get(watched.get(0)), last.get(watched.get(0)), "the model keeps its trained weights");
        double[] decays = {0, 2.0 / 11, 3.0 / 12, 0.3, 0.3};
        Map<String, float[]> written = writtenUnet(out, watched);
        for (String name : watched) {
            double[] e = new double[after.get(0).get(name).length];
            for (int k = 0; k < 5; k++) {
                float[] w = after.get(k).get(name);
                for (int i = 0; i < e.length; i++) {
                    e[i] = decays[k] * e[i] + (1 - decays[k]) * w[i];
                }
            }
            float[] got = written.get(name);
            double furthest = 0;
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], got[i], 1e-6, name + "[" + i + "]");
                furthest = Math.max(furthest, Math.abs(got[i] - after.get(4).get(name)[i]));
            }
            assertTrue(furthest > 1e-5, name + ": the written tensor is the last weights, not their average");
        }
        TrainingSettings.EmaSettings warm = new TrainingSettings.EmaSettings(0.9999, 2, true, 1.0, 0.75);
        assertEquals(0, warm.decayAt(3));
        assertEquals(1 - Math.pow(2, -0.75), warm.decayAt(4), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.EmaSettings(1.0, 0, false, 1, 1));
    }

    @Test
    void aResumedEmaRunWritesWhatTheUninterruptedOneDoesAndAStateWithoutTheAverageIsRefused() {
        List<String> watched = List.of("denoiser.conv_in.weight", "denoiser.conv_out.weight");
        Map<String, Object> ema = Map.of("decay", 0.5);
        Path straight = dir.resolve("straight");
        try (Trainer t = trainer(wholeUnet(4, ema), straight)) {
            t.run(new CausalLmTrainingTest.Log(), () -> false, null);
        }
        Path out = dir.resolve("interrupted");
        CausalLmTrainingTest.Log first = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(wholeUnet(4, ema), out)) {
            assertTrue(t.run(first, () -> first.losses.size() >= 2, null).stopped());
        }
        try (Trainer t = trainer(wholeUnet(4, ema), out)) {
            t.run(new CausalLmTrainingTest.Log(), () -> false, out.resolve("state"));
        }
        Map<String, float[]> expected = writtenUnet(straight, watched);
        Map<String, float[]> resumed = writtenUnet(out, watched);
        for (String name : watched) {
            assertArrayEquals(expected.get(name), resumed.get(name), 1e-6f, name);
        }
        Path plain = dir.resolve("plain");
        CausalLmTrainingTest.Log once = new CausalLmTrainingTest.Log();
        try (Trainer t = trainer(wholeUnet(4, null), plain)) {
            t.run(once, () -> once.losses.size() >= 1, null);
        }
        try (Trainer t = trainer(wholeUnet(4, ema), plain)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.run(new CausalLmTrainingTest.Log(), () -> false, plain.resolve("state")));
            assertTrue(e.getMessage().contains("ema.safetensors") && e.getMessage().contains("without ema"), e.getMessage());
        }
    }
}
