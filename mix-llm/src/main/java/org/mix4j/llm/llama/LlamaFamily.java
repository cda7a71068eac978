package org.mix4j.llm.llama;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.mix4j.api.LanguageModel;
import org.mix4j.config.JsonConfig;
import org.mix4j.registry.ComponentContext;

/**
 * What the {@code llama}, {@code qwen2} and {@code mistral} factories share: the defaults of the
 * transformers config classes (LlamaConfig, Qwen2Config, MistralConfig of v4.47), used for keys a
 * checkpoint's config leaves out (LLaVA's {@code text_config} often holds only a few keys).
 */
public final class LlamaFamily {

    public static final List<String> MODEL_TYPES = List.of("llama", "qwen2", "mistral");

    private static final Map<String, String> CLASS_DEFAULTS = Map.of(
            "llama", """
                {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6,
                 "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": false}""",
            "mistral", """
                {"vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "sliding_window": 4096, "hidden_act": "silu",
                 "tie_word_embeddings": false}""",
            "qwen2", """
                {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 32768,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "use_sliding_window": false, "sliding_window": 4096,
                 "hidden_act": "silu", "tie_word_embeddings": false}""");

    private LlamaFamily() {}

    /**
     * The decoder's part of a checkpoint config ({@code text_config} of LLaVA-style models,
     * {@code llm_config} of InternVL, else the config itself) with the class
     * defaults of its {@code model_type} filled in. Keys present with {@code null} stay null.
     *
     * @param fallbackType the factory's type, used when the config names no family member
     */
    public static JsonObject withClassDefaults(JsonObject checkpointConfig, String fallbackType) {
        JsonObject text = JsonConfig.child(checkpointConfig, "text_config");
        if (text == null) {
            text = JsonConfig.child(checkpointConfig, "llm_config");
        }
        JsonObject source = text != null ? text : checkpointConfig;
        JsonObject out = source.deepCopy();
        String type = fallbackType;
        JsonElement declared = source.get("model_type");
        if (declared != null && declared.isJsonPrimitive() && MODEL_TYPES.contains(declared.getAsString())) {
            type = declared.getAsString();
        }
        out.addProperty("model_type", type);
        if (text != null && !out.has("tie_word_embeddings") && checkpointConfig.has("tie_word_embeddings")) {
            out.add("tie_word_embeddings", checkpointConfig.get("tie_word_embeddings"));
        }
        JsonObject defaults = JsonParser.parseString(CLASS_DEFAULTS.get(type)).getAsJsonObject();
        for (Map.Entry<String, JsonElement> e : defaults.entrySet()) {
            if (!out.has(e.getKey())) {
                out.add(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    static LanguageModel create(LlamaConfig config, ComponentContext context) {
        return new LlamaLanguageModel(config, context.weights(), context.manager(), context.dtype(),
                context.parallel());
    }
}
