package org.mix4j.llm.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.llm.TinyModels;

/** Config defaults: text_config, partial configs and the per-model_type class defaults. */
class LlamaFamilyTest {

    @TempDir
    Path dir;

    private LlamaConfig bind(String type, String configJson, Map<String, ?> yaml) throws Exception {
        Files.writeString(dir.resolve("config.json"), configJson);
        return (LlamaConfig) TinyModels.loader().bindConfig(ComponentLoader.spec(type, dir, yaml), Role.LANGUAGE_MODEL, dir);
    }

    @Test
    void partialLlavaTextConfigGetsMistralClassDefaults() throws Exception {
        LlamaConfig c = bind("llama", """
            {"model_type": "llava", "text_config": {"model_type": "mistral", "vocab_size": 32064,
             "max_position_embeddings": 32768, "rms_norm_eps": 1e-05}}""", Map.of());
        assertEquals("mistral", c.modelType());
        assertEquals(32064, c.vocabSize());
        assertEquals(14336, c.intermediateSize());
        assertEquals(8, c.kvHeads());
        assertEquals(128, c.resolvedHeadDim());
        assertEquals(4096, c.window());
        assertEquals(1e-5, c.rmsNormEps());
    }

    @Test
    void explicitNullSlidingWindowMeansNoWindow() throws Exception {
        LlamaConfig c = bind("mistral", "{\"model_type\": \"mistral\", \"sliding_window\": null}", Map.of());
        assertEquals(0, c.window());
    }

    @Test
    void qwen2AlwaysHasQkvBiasAndLlamaFollowsAttentionBias() throws Exception {
        LlamaConfig qwen = bind("qwen2", "{\"model_type\": \"qwen2\"}", Map.of());
        assertTrue(qwen.qkvBias() && !qwen.outputBias());
        assertEquals(151936, qwen.vocabSize());
        LlamaConfig llama = bind("llama", "{\"model_type\": \"llama\", \"attention_bias\": true}", Map.of());
        assertTrue(llama.qkvBias() && llama.outputBias());
        assertEquals(32, llama.kvHeads(), "llama's num_key_value_heads defaults to num_attention_heads");
    }

    @Test
    void yamlOverridesTheCheckpoint() throws Exception {
        LlamaConfig c = bind("llama", "{\"model_type\": \"llama\", \"rope_theta\": 500000.0}", Map.of("rope_theta", 1e6));
        assertEquals(1e6, c.ropeTheta());
    }

    @Test
    void internVlLlmConfigIsTheDecodersConfig() throws Exception {
        LlamaConfig c = bind("qwen2", """
            {"architectures": ["InternVLChatModel"], "downsample_ratio": 0.5,
             "llm_config": {"model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24,
                            "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151674},
             "vision_config": {"hidden_size": 1024}}""", Map.of());
        assertEquals(896, c.hiddenSize());
        assertEquals(151674, c.vocabSize());
        assertTrue(c.qkvBias());
    }

    @Test
    void textConfigInheritsTopLevelTieWordEmbeddings() {
        JsonObject out = LlamaFamily.withClassDefaults(JsonParser.parseString(
                "{\"tie_word_embeddings\": true, \"text_config\": {\"model_type\": \"qwen2\"}}").getAsJsonObject(), "llama");
        assertTrue(out.get("tie_word_embeddings").getAsBoolean());
        assertEquals("qwen2", out.get("model_type").getAsString());
    }
}
