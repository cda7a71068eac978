package org.mix4j.llm.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.ConfigException;
import org.mix4j.llm.TinyCheckpoint;
import org.mix4j.llm.TinyModels;

/** Internal consistency of the decoder on tiny configs other than the golden ones. */
class LlamaLanguageModelTest {

    private static final long[] TOKENS = {5, 17, 200, 33, 90, 4, 250, 61, 7, 130, 12};

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

    private static String config(String name) {
        return switch (name) {
            case "llama_gqa" -> TinyModels.LLAMA_GQA;
            case "qwen2_tied" -> TinyModels.QWEN2_TIED;
            case "mistral_window" -> TinyModels.MISTRAL_WINDOW;
            case "llama3_scaled" -> TinyModels.LLAMA3_SCALED;
            default -> TinyModels.LLAMA_LINEAR_MQA;
        };
    }

    private NDArray positions(int from, int to) {
        return manager.arange(from, to).toType(ai.djl.ndarray.types.DataType.INT64, false).reshape(1, to - from);
    }

    private NDArray fullLogits(LanguageModel model, long[] tokens) {
        NDArray ids = manager.create(tokens, new Shape(1, tokens.length));
        return model.forward(model.embed(ids), positions(0, tokens.length), null, null).logits();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa", "qwen2_tied", "mistral_window", "llama3_scaled", "llama_linear_mqa"})
    void incrementalDecodeMatchesFullForward(String name) throws Exception {
        try (LanguageModel model = TinyModels.load(config(name), dir, 3, manager);
                KvCache cache = model.newCache(manager, 1, 16)) {
            NDArray full = fullLogits(model, TOKENS); // [1, 11, V]
            int[] chunks = {4, 1, 1, 3, 1, 1}; // prefill, single steps, a multi-token chunk
            int at = 0;
            for (int n : chunks) {
                long[] part = java.util.Arrays.copyOfRange(TOKENS, at, at + n);
                NDArray ids = manager.create(part, new Shape(1, n));
                NDArray mask = manager.ones(new Shape(1, at + n), ai.djl.ndarray.types.DataType.INT64);
                NDArray logits = model.forward(model.embed(ids), positions(at, at + n), mask, cache).logits();
                NDArray expected = full.get(new NDIndex(":, {}:{}, :", at, at + n));
                float diff = logits.sub(expected).abs().max().getFloat();
                assertTrue(diff < 1e-4, name + ": positions " + at + ".." + (at + n) + " differ by " + diff);
                at += n;
            }
            assertEquals(TOKENS.length, cache.length());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_gqa", "qwen2_tied", "mistral_window"})
    void leftPaddedRowMatchesUnpaddedRow(String name) throws Exception {
        try (LanguageModel model = TinyModels.load(config(name), dir, 4, manager)) {
            long[] shortRow = {40, 41, 42, 43, 44};
            int pad = 3;
            long[] ids = new long[2 * 8];
            long[] mask = new long[2 * 8];
            long[] pos = new long[2 * 8];
            for (int i = 0; i < 8; i++) {
                ids[i] = TOKENS[i];
                mask[i] = 1;
                pos[i] = i;
                boolean real = i >= pad;
                ids[8 + i] = real ? shortRow[i - pad] : 0;
                mask[8 + i] = real ? 1 : 0;
                pos[8 + i] = real ? i - pad : 1; // cumsum(mask) - 1, 1 at padding
            }
            NDArray batch = model.forward(model.embed(manager.create(ids, new Shape(2, 8))),
                    manager.create(pos, new Shape(2, 8)), manager.create(mask, new Shape(2, 8)), null).logits();
            NDArray alone = fullLogits(model, shortRow); // [1, 5, V]
            NDArray padded = batch.get(new NDIndex("1:2, {}:, :", pad));
            float diff = padded.sub(alone).abs().max().getFloat();
            assertTrue(diff < 1e-4, name + ": padded row differs by " + diff);
            NDArray first = batch.get(new NDIndex("0:1, :, :")).sub(fullLogits(model, java.util.Arrays.copyOf(TOKENS, 8)));
            assertTrue(first.abs().max().getFloat() < 1e-4, "the unpadded row is unaffected by its neighbour");
        }
    }

    @Test
    void slidingWindowHidesPositionsBeyondIt() throws Exception {
        // window 3, 2 layers: position i sees inputs back to i - 2 * (3 - 1), so changing token 0
        // must leave positions >= 5 untouched and change position 1
        try (LanguageModel model = TinyModels.load(TinyModels.MISTRAL_WINDOW, dir, 5, manager)) {
            long[] other = TOKENS.clone();
            other[0] = 99;
            NDArray diff = fullLogits(model, TOKENS).sub(fullLogits(model, other)).abs();
            assertTrue(diff.get(new NDIndex(":, 5:, :")).max().getFloat() == 0f, "positions past the window moved");
            assertTrue(diff.get(new NDIndex(":, 1, :")).max().getFloat() > 1e-3, "position inside the window did not move");
        }
    }

    @Test
    void tiedHeadReusesTheEmbeddingAndNeedsNoLmHeadTensor() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.QWEN2_TIED, dir, 6, manager)) {
            NDArray ids = manager.create(new long[] {3, 4}, new Shape(1, 2));
            var out = model.forward(model.embed(ids), positions(0, 2), null, null);
            NDArray embedding = model.embed(manager.create(new long[] {7}, new Shape(1, 1))).reshape(-1);
            NDArray hidden = out.hiddenStates().get(new NDIndex("0, 1, :"));
            float expected = hidden.mul(embedding).sum().getFloat(); // logit of token 7 = h . embed[7]
            assertEquals(expected, out.logits().get(new NDIndex("0, 1, 7")).getFloat(), 1e-4);
        }
    }

    @Test
    void outOfVocabularyIdIsRejectedWithTheVocabularySize() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.LLAMA_GQA, dir, 7, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.embed(manager.create(new long[] {272}, new Shape(1, 1))));
            assertTrue(e.getMessage().contains("272"), e.getMessage());
        }
    }

    @Test
    void fullCacheFailsClearly() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.LLAMA_GQA, dir, 8, manager);
                KvCache cache = model.newCache(manager, 1, 2)) {
            NDArray ids = manager.create(new long[] {1, 2, 3}, new Shape(1, 3));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.forward(model.embed(ids), positions(0, 3), null, cache));
            assertTrue(e.getMessage().contains("capacity of 2"), e.getMessage());
        }
    }

    @Test
    void missingTensorsAreReportedByName() throws Exception {
        TinyCheckpoint.write(dir, TinyModels.QWEN2_TIED, 1);
        ComponentLoader loader = TinyModels.loader();
        // as llama with attention_bias the model also wants o_proj.bias, which qwen2 does not have
        Exception e = assertThrows(Exception.class, () -> loader.load("llama", Role.LANGUAGE_MODEL, dir,
                Map.of("model_type", "llama", "attention_bias", true), manager, ai.djl.ndarray.types.DataType.FLOAT32));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.o_proj.bias"), e.getMessage());
    }

    /** A checkpoint config declaring a billion layers allocated placeholders until 21.7 GB. */
    @Test
    void absurdLayerCountInTheCheckpointConfigFailsFast() throws Exception {
        TinyCheckpoint.write(dir, TinyModels.LLAMA_GQA, 1);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1e9"));
        ComponentLoader loader = TinyModels.loader();
        Exception e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> assertThrows(Exception.class,
                () -> loader.load("llama", Role.LANGUAGE_MODEL, dir, Map.of(), manager, ai.djl.ndarray.types.DataType.FLOAT32)));
        assertTrue(e.getMessage().contains("model.layers.2.") && e.getMessage().contains("more than the whole checkpoint")
                && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void unsupportedRopeScalingNamesTheValidTypes() throws Exception {
        TinyCheckpoint.write(dir, TinyModels.LLAMA_GQA, 1);
        ConfigException e = assertThrows(ConfigException.class, () -> TinyModels.loader().load("llama",
                Role.LANGUAGE_MODEL, dir, Map.of("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0)), manager,
                ai.djl.ndarray.types.DataType.FLOAT32));
        assertTrue(e.getMessage().contains("yarn") && e.getMessage().contains("llama3"), e.getMessage());
    }

    @Test
    void kvHeadsMustDivideHeads() throws Exception {
        TinyCheckpoint.write(dir, TinyModels.LLAMA_GQA, 1);
        ConfigException e = assertThrows(ConfigException.class, () -> TinyModels.loader().load("llama",
                Role.LANGUAGE_MODEL, dir, Map.of("num_key_value_heads", 3), manager, ai.djl.ndarray.types.DataType.FLOAT32));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    }
}
