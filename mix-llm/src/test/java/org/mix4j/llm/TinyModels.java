package org.mix4j.llm;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.mix4j.MixRuntime;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.registry.MixSettings;
import org.mix4j.tensor.TensorParallel;

/** Tiny configs of the LLaMA family that differ from the golden fixtures in every size. */
public final class TinyModels {

    /** LLaMA, grouped-query (4 heads, 2 kv heads), separate LM head, 2 layers. */
    public static final String LLAMA_GQA = """
        {"model_type": "llama", "vocab_size": 272, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
         "rope_theta": 10000.0, "tie_word_embeddings": false}""";

    /** Qwen2: q/k/v bias, tied head, 3 layers, 6 heads over 3 kv heads. */
    public static final String QWEN2_TIED = """
        {"model_type": "qwen2", "vocab_size": 272, "hidden_size": 48, "intermediate_size": 80, "num_hidden_layers": 3,
         "num_attention_heads": 6, "num_key_value_heads": 3, "max_position_embeddings": 128, "rms_norm_eps": 1e-6,
         "rope_theta": 1000000.0, "tie_word_embeddings": true, "use_sliding_window": false}""";

    /** Mistral with head_dim != hidden/heads and a sliding window of 3. */
    public static final String MISTRAL_WINDOW = """
        {"model_type": "mistral", "vocab_size": 272, "hidden_size": 32, "intermediate_size": 40, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 12, "max_position_embeddings": 128,
         "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 3}""";

    /** LLaMA 3.1-style: full multi-head attention, llama3 rope scaling, all biases, 4 layers. */
    public static final String LLAMA3_SCALED = """
        {"model_type": "llama", "vocab_size": 272, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 4,
         "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
         "rope_theta": 500000.0, "attention_bias": true, "mlp_bias": true,
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 16}}""";

    /** LLaMA with linear rope scaling and multi-query attention (one kv head). */
    public static final String LLAMA_LINEAR_MQA = """
        {"model_type": "llama", "vocab_size": 272, "hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 2,
         "num_attention_heads": 3, "num_key_value_heads": 1, "max_position_embeddings": 128,
         "rope_scaling": {"type": "linear", "factor": 2.0}}""";

    private static MixRuntime runtime;

    private TinyModels() {}

    public static synchronized ComponentLoader loader() {
        if (runtime == null) {
            runtime = MixRuntime.start(MixSettings.builtInOnly());
        }
        return runtime.loader();
    }

    /** Writes the checkpoint under {@code dir} and loads it as YAML would. */
    public static LanguageModel load(String config, Path dir, long seed, NDManager manager) throws IOException {
        return load(config, dir, seed, manager, loader().parallel());
    }

    /** As {@link #load(String, Path, long, NDManager)}, splitting large ops over {@code parallel}. */
    public static LanguageModel load(String config, Path dir, long seed, NDManager manager, TensorParallel parallel)
            throws IOException {
        TinyCheckpoint.write(dir, config, seed);
        String type = com.google.gson.JsonParser.parseString(config).getAsJsonObject().get("model_type").getAsString();
        return loader().withParallel(parallel).load(type, Role.LANGUAGE_MODEL, dir, Map.of(), manager,
                DataType.FLOAT32);
    }
}
