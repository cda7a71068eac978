package org.mix4j.llm.llama;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.LanguageModel;
import org.mix4j.llm.TinyModels;
import org.mix4j.tensor.TensorParallel;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder loaded with two threads lays its MLP out in two shards and sums the shards' down
 * projections; its logits must equal those of a one-thread model loaded in the same process.
 */
class ShardedMlpTest {

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

    private NDArray logits(LanguageModel model) {
        NDArray ids = manager.create(TOKENS, new Shape(1, TOKENS.length));
        NDArray positions = manager.arange(0, TOKENS.length).toType(DataType.INT64, false).reshape(1, TOKENS.length);
        return model.forward(model.embed(ids), positions, null, null).logits();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3_scaled", "qwen2_tied"}) // with and without MLP biases
    void shardedMlpGivesTheLogitsOfTheWholeOne(String name) throws Exception {
        String config = name.equals("qwen2_tied") ? TinyModels.QWEN2_TIED : TinyModels.LLAMA3_SCALED;
        try (LanguageModel whole = TinyModels.load(config, dir.resolve("whole"), 7, manager, TensorParallel.SERIAL);
                LanguageModel sharded = TinyModels.load(config, dir.resolve("sharded"), 7, manager,
                        TensorParallel.of(2))) {
            NDArray expected = logits(whole);
            float parallel = logits(sharded).sub(expected).abs().max().getFloat();
            assertTrue(parallel < 1e-5, name + ": shards on two threads differ by " + parallel);
        }
    }
}
