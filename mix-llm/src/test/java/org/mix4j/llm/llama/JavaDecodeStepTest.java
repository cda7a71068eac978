package org.mix4j.llm.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.KvCache;
import org.mix4j.api.LmOutput;
import org.mix4j.llm.TinyModels;
import org.mix4j.nn.CallAdapters;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tensor.WeightFormat;

/**
 * A packed model's decode steps on Java arrays ({@link JavaDecodeStep}) against the same model's
 * steps through the engine ({@code -Dmix.llm.engine_decode=true}), int8 and fp16: the same packed weights and the same
 * float32 arithmetic in another order, so logits and hidden states agree to rounding and every
 * step's argmax is the same. Two rows, the first left-padded (an attention mask), fed the same tokens
 * for 12 steps after a 5-token prompt, on every tiny LLaMA-family layout: grouped and multi-query
 * heads, Qwen2's q/k/v biases and tied head, LLaMA 3's biases and rope scaling, Mistral's sliding
 * window and its own head size; one thread and two (the MLP in two shards).
 */
class JavaDecodeStepTest {

    private static final long[][] PROMPT = {{0, 0, 17, 200, 33}, {5, 17, 200, 33, 90}};
    private static final long[][] MASK = {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}};
    private static final long[][] FED = {{4, 250, 9, 61, 61, 100, 3, 12, 8, 271, 44, 7}, {90, 4, 250, 1, 2, 3, 140, 5, 77, 6, 13, 21}};

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    record Steps(float[][] logits, float[][] hidden) {}

    @ParameterizedTest
    @ValueSource(strings = {"LLAMA_GQA", "QWEN2_TIED", "MISTRAL_WINDOW", "LLAMA3_SCALED", "LLAMA_LINEAR_MQA"})
    void javaStepsGiveTheEngineStepsLogits(String name) throws Exception {
        String config = (String) TinyModels.class.getField(name).get(null);
        for (WeightFormat format : WeightFormat.values()) {
            for (TensorParallel parallel : List.of(TensorParallel.SERIAL, TensorParallel.of(2))) {
                String what = name + " " + format.label() + " " + parallel;
                try (LlamaLanguageModel model = (LlamaLanguageModel) TinyModels.load(config,
                        dir.resolve(name + format + parallel.ways()), 11, manager, parallel)) {
                    model.quantize(format);
                    Steps engine = decode(model, true, 2);
                    assertEquals(0, model.javaDecodeSteps(), what + ": the engine run took the Java step");
                    Steps java = decode(model, false, 2);
                    assertEquals(FED[0].length, model.javaDecodeSteps(), what + ": decode steps run in Java");
                    compare(what, engine, java);
                    // one row and no mask: no mask at all until Mistral's window of 3 starts to cut
                    compare(what + " batch 1", decode(model, true, 1), decode(model, false, 1));
                }
            }
        }
    }

    @Test
    void aFloatModelOrAPerCallAdapterKeepsTheEnginePath() throws Exception {
        try (LlamaLanguageModel model = (LlamaLanguageModel) TinyModels.load(TinyModels.QWEN2_TIED, dir.resolve("f"), 3,
                manager)) {
            decode(model, false, 2);
            assertEquals(0, model.javaDecodeSteps(), "a float32 model decodes through the engine");
            model.quantize(WeightFormat.INT8);
            org.mix4j.api.Trainable.Projection p = model.projections().values().iterator().next();
            org.mix4j.nn.Linear.Adapter zero = new org.mix4j.nn.Linear.Adapter(p.from(), p.to(),
                    manager.zeros(new Shape(1, p.linear().inFeatures())), manager.zeros(new Shape(p.to() - p.from(), 1)), 1);
            try (CallAdapters.Scope scope = CallAdapters.open(Map.of(p.linear(), List.of(zero)))) {
                decode(model, false, 2);
            }
            assertEquals(0, model.javaDecodeSteps(), "a per-call LoRA is added in Linear.forward, which the Java step skips");
        }
    }

    private static void compare(String what, Steps engine, Steps java) {
        for (int s = 0; s < engine.logits.length; s++) {
            double scale = maxAbs(engine.logits[s]);
            double diff = maxDiff(engine.logits[s], java.logits[s]);
            assertTrue(diff <= 1e-4 * Math.max(1, scale), what + " step " + s + ": logits differ by " + diff + " (max |logit| "
                    + scale + ")");
            double hidden = maxDiff(engine.hidden[s], java.hidden[s]);
            assertTrue(hidden <= 1e-4 * Math.max(1, maxAbs(engine.hidden[s])), what + " step " + s + ": hidden states differ by "
                    + hidden);
            int rows = engine.logits[s].length / 272;
            for (int b = 0; b < rows; b++) {
                assertEquals(argmax(engine.logits[s], b), argmax(java.logits[s], b), what + " step " + s + " row " + b);
            }
        }
    }

    /** Prefill through the engine, then {@code FED.length} one-token steps, each step's logits and hidden states. */
    private Steps decode(LlamaLanguageModel model, boolean enginePath, int rows) {
        String before = System.getProperty(LlamaLanguageModel.ENGINE_DECODE_PROPERTY);
        System.setProperty(LlamaLanguageModel.ENGINE_DECODE_PROPERTY, Boolean.toString(enginePath));
        int prompt = PROMPT[0].length;
        int steps = FED[0].length;
        float[][] logits = new float[steps][];
        float[][] hidden = new float[steps][];
        try (NDManager m = manager.newSubManager()) {
            KvCache cache = model.newCache(m, rows, prompt + steps);
            long[] mask = new long[rows * (prompt + steps)];
            long[] ids = new long[rows * prompt];
            long[] positions = new long[rows * prompt];
            for (int b = 0; b < rows; b++) {
                int row = rows == 1 ? 1 : b;
                int position = 0;
                for (int i = 0; i < prompt; i++) {
                    ids[b * prompt + i] = PROMPT[row][i];
                    mask[b * (prompt + steps) + i] = MASK[row][i];
                    positions[b * prompt + i] = MASK[row][i] == 0 ? 1 : position++;
                }
                for (int i = prompt; i < prompt + steps; i++) {
                    mask[b * (prompt + steps) + i] = 1;
                }
            }
            NDArray fullMask = m.create(mask, new Shape(rows, prompt + steps));
            model.forward(model.embed(m.create(ids, new Shape(rows, prompt))), m.create(positions, new Shape(rows, prompt)),
                    rows == 1 ? null : fullMask.get(":, :" + prompt), cache);
            for (int s = 0; s < steps; s++) {
                long[] next = new long[rows];
                long[] at = new long[rows];
                for (int b = 0; b < rows; b++) {
                    int row = rows == 1 ? 1 : b;
                    next[b] = FED[row][s];
                    at[b] = prompt + s - (rows == 1 ? 0 : countPadding(row));
                }
                try (NDManager step = m.newSubManager()) {
                    NDArray input = model.embed(step.create(next, new Shape(rows, 1)));
                    NDArray seen = rows == 1 ? null : fullMask.get(":, :" + (prompt + s + 1));
                    LmOutput out = model.forward(input, step.create(at, new Shape(rows, 1)), seen, cache);
                    logits[s] = out.logits().toFloatArray();
                    hidden[s] = out.hiddenStates().toType(DataType.FLOAT32, false).toFloatArray();
                }
            }
        } finally {
            if (before == null) {
                System.clearProperty(LlamaLanguageModel.ENGINE_DECODE_PROPERTY);
            } else {
                System.setProperty(LlamaLanguageModel.ENGINE_DECODE_PROPERTY, before);
            }
        }
        return new Steps(logits, hidden);
    }

    private static int countPadding(int row) {
        int n = 0;
        for (long v : MASK[row]) {
            n += v == 0 ? 1 : 0;
        }
        return n;
    }

    private static int argmax(float[] v, int row) {
        int vocab = 272;
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (v[row * vocab + i] > v[row * vocab + best]) {
                best = i;
            }
        }
        return best;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
