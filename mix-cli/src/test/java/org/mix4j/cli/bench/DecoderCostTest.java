package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.llm.TinyModels;
import org.mix4j.llm.llama.LlamaConfig;

/** The cost model of {@code mix bench llm}, checked against the published sizes of the real checkpoints. */
class DecoderCostTest {

    private static DecoderCost cost(String model) {
        Map<String, Object> shape = LlmBench.MODELS.get(model);
        LlamaConfig config = (LlamaConfig) TinyModels.loader().bindConfig(
                ComponentLoader.spec((String) shape.get("model_type"), null, shape), Role.LANGUAGE_MODEL, null);
        return new DecoderCost(config);
    }

    @Test
    void countsTheParametersHuggingFaceReports() {
        assertEquals(494_032_768L, cost("qwen2-0.5b").totalParams()); // Qwen/Qwen2-0.5B
        assertEquals(1_235_814_400L, cost("llama-1b").totalParams()); // meta-llama/Llama-3.2-1B
    }

    @Test
    void aDecodeStepReadsEveryLayerAndTheTiedHeadButOneEmbeddingRow() {
        DecoderCost qwen = cost("qwen2-0.5b");
        long layers = 24L * (qwen.layerMatrixParams() + qwen.layerVectorParams());
        long head = 151_936L * 896;
        assertEquals(4 * (layers + head + 896 + 896), qwen.weightBytesPerToken(4));
        assertEquals(2 * (layers + head + 896 + 896), qwen.weightBytesPerToken(2));
        // keys and values: 24 layers x 2 kv heads x 64 dims, both, per cached position
        assertEquals(2L * 24 * 2 * 64 * 100 * 4, qwen.kvBytesPerToken(100, 4));
    }

    @Test
    void forwardFlopsAreTwicePerWeightPlusTheAttentionProducts() {
        DecoderCost llama = cost("llama-1b");
        double matrices = 2.0 * 16 * llama.layerMatrixParams();
        double head = 2.0 * 128_256 * 2048;
        // one new token after 9 cached ones: 32 heads x 64 dims x 10 keys, scores and values, 16 layers
        double attention = 2 * 2.0 * 10 * 32 * 64 * 16;
        assertEquals(matrices + attention + head, llama.forwardFlops(1, 9), 1);
        // a 128-token prompt: the products scale with the tokens, the head runs once
        assertEquals(128 * matrices + 2 * 2.0 * 128 * 128 * 32 * 64 * 16 + head, llama.forwardFlops(128, 0), 1);
    }
}
