package org.mix4j.llm.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.api.Trainable;
import org.mix4j.llm.TinyModels;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Checkpoint;

/**
 * The decoder lists its fused q/k/v and gate/up projections under their checkpoint names and
 * shapes, as views of the fused matrices: an update of one reaches the forward.
 */
class LlamaParametersTest {

    private static final long[] TOKENS = {5, 17, 200, 33, 90, 4, 250};

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

    @Test
    void listsExactlyTheTensorsOfTheGoldenCheckpoint() {
        Path golden = Path.of(System.getProperty("mix.golden.dir", "../testdata/golden")).resolve("llama_causal_lm");
        Map<String, Shape> expected = new TreeMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(golden)) {
            checkpoint.tensors().forEach((name, info) -> expected.put(name, info.shape()));
        }
        try (LanguageModel llm = TinyModels.loader().load("llama", Role.LANGUAGE_MODEL, golden, Map.of(), manager,
                DataType.FLOAT32)) {
            Map<String, Shape> listed = new TreeMap<>();
            ((Trainable) llm).parameters().forEach((name, t) -> listed.put(name, t.getShape()));
            assertEquals(expected, listed);
        }
    }

    @Test
    void anUpdatedProjectionReachesTheForward() throws Exception {
        try (LanguageModel llm = TinyModels.load(TinyModels.LLAMA_GQA, dir, 7, manager, TensorParallel.SERIAL)) {
            NDArray before = logits(llm);
            Map<String, NDArray> params = ((Trainable) llm).parameters();
            assertEquals(0, logits(llm).sub(before).abs().max().getFloat(), "listing changed the logits");
            for (String name : new String[] {"model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.up_proj.weight"}) {
                NDArray previous = logits(llm);
                params.get(name).stopGradient().muli(1.5f); // in place, as the optimizer updates
                assertTrue(logits(llm).sub(previous).abs().max().getFloat() > 1e-5, name + " is not what the forward reads");
            }
        }
    }

    /** Listing a model loaded on two threads lays its sharded MLP out as gate | up again, in place. */
    @ParameterizedTest
    @ValueSource(strings = {"llama3_scaled", "qwen2_tied"}) // with and without MLP biases
    void shardedMlpListsTheCheckpointTensors(String name) throws Exception {
        String config = name.equals("qwen2_tied") ? TinyModels.QWEN2_TIED : TinyModels.LLAMA3_SCALED;
        try (LanguageModel whole = TinyModels.load(config, dir.resolve("whole"), 7, manager, TensorParallel.SERIAL);
                LanguageModel sharded = TinyModels.load(config, dir.resolve("sharded"), 7, manager,
                        TensorParallel.of(2))) {
            Map<String, NDArray> expected = ((Trainable) whole).parameters();
            Map<String, NDArray> listed = ((Trainable) sharded).parameters();
            assertEquals(expected.keySet(), listed.keySet());
            expected.forEach((n, t) -> assertEquals(0, t.sub(listed.get(n)).abs().max().getFloat(), n));
            assertTrue(logits(sharded).sub(logits(whole)).abs().max().getFloat() < 1e-5);
        }
    }

    private NDArray logits(LanguageModel model) {
        NDArray ids = manager.create(TOKENS, new Shape(1, TOKENS.length));
        NDArray positions = manager.arange(0, TOKENS.length).toType(DataType.INT64, false).reshape(1, TOKENS.length);
        return model.forward(model.embed(ids), positions, null, null).logits();
    }
}
