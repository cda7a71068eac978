package org.mix4j.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model {@code mix bench train} trains: a CLIP vision tower, LLaVA's two-layer MLP projector and a
 * Qwen2 decoder, as config.json values (random weights). {@code bench/torch_train_step.py} builds
 * the same shapes in PyTorch; keep the two in step.
 *
 * @param vision {@code clip_vision} keys
 * @param llm {@code qwen2} keys
 */
record TrainShape(String name, Map<String, Object> vision, Map<String, Object> llm) {

    /** openai/clip-vit-base-patch16 + Qwen/Qwen2-0.5B (LLaVA-OneVision-0.5B's language model). */
    static final TrainShape REAL = new TrainShape("clip-b16+qwen2-0.5b",
            Map.of("hidden_size", 768, "intermediate_size", 3072, "num_hidden_layers", 12, "num_attention_heads", 12,
                    "image_size", 224, "patch_size", 16),
            LlmBench.MODELS.get("qwen2-0.5b"));

    /** The same architecture a few hundred times smaller, for tests and smoke runs. */
    static final TrainShape TINY = new TrainShape("tiny",
            Map.of("hidden_size", 64, "intermediate_size", 128, "num_hidden_layers", 2, "num_attention_heads", 4,
                    "image_size", 64, "patch_size", 16),
            Map.ofEntries(Map.entry("model_type", "qwen2"), Map.entry("vocab_size", 512), Map.entry("hidden_size", 96),
                    Map.entry("intermediate_size", 192), Map.entry("num_hidden_layers", 2),
                    Map.entry("num_attention_heads", 4), Map.entry("num_key_value_heads", 2),
                    Map.entry("max_position_embeddings", 4096), Map.entry("rms_norm_eps", 1e-6),
                    Map.entry("rope_theta", 1000000.0), Map.entry("tie_word_embeddings", true)));

    static TrainShape named(String name) {
        return switch (name) {
            case "real" -> REAL;
            case "tiny" -> TINY;
            default -> throw new IllegalArgumentException("unknown --shape '" + name + "'; known: real, tiny");
        };
    }

    /** Image tokens per image: the patch grid (LLaVA drops the CLS token). */
    int imageTokens() {
        int side = (int) vision.get("image_size") / (int) vision.get("patch_size");
        return side * side;
    }

    /** The vision tower's overrides: random init, LLaVA's feature layer (-2) and patch tokens. */
    Map<String, Object> visionOverrides(long seed) {
        Map<String, Object> o = new LinkedHashMap<>(vision);
        o.put("init", "random");
        o.put("seed", seed);
        return o;
    }

    /** The decoder's overrides with {@code layers} decoder layers (0: the shape's own). */
    Map<String, Object> llmOverrides(int layers, long seed) {
        Map<String, Object> o = new LinkedHashMap<>(llm);
        if (layers > 0) {
            o.put("num_hidden_layers", layers);
        }
        o.put("init", "random");
        o.put("seed", seed);
        return o;
    }

    int llmLayers(int layers) {
        return layers > 0 ? layers : (int) llm.get("num_hidden_layers");
    }
}
