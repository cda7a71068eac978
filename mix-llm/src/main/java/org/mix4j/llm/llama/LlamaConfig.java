package org.mix4j.llm.llama;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.llm.layers.RopeScaling;

/**
 * Hyper-parameters of a LLaMA-family decoder, by their Hugging Face config keys. Values missing
 * from a checkpoint's config are filled with the defaults of the transformers config class of its
 * {@code model_type} ({@link LlamaFamily#withClassDefaults}), as transformers itself does.
 *
 * @param modelType {@code llama}, {@code qwen2} or {@code mistral}: decides biases and sliding window
 * @param numKeyValueHeads grouped-query attention; {@code null} = {@code num_attention_heads}
 * @param headDim {@code null} = {@code hidden_size / num_attention_heads}
 * @param ropeScaling {@code rope_scaling} mapping (types {@code linear}, {@code llama3}); null = none
 * @param attentionBias llama: bias on q/k/v/o projections (qwen2 always has q/k/v bias)
 * @param slidingWindow mistral: attend to at most this many previous positions; null = unlimited
 * @param useSlidingWindow qwen2: only {@code false} is supported
 */
public record LlamaConfig(
        @Default("llama") String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        @OptionalKey Integer numKeyValueHeads,
        @OptionalKey Integer headDim,
        @Default("silu") String hiddenAct,
        @Default("2048") int maxPositionEmbeddings,
        @Default("1e-6") double rmsNormEps,
        @Default("10000.0") double ropeTheta,
        @OptionalKey MapNode ropeScaling,
        @Default("false") boolean attentionBias,
        @Default("false") boolean mlpBias,
        @Default("false") boolean tieWordEmbeddings,
        @OptionalKey Integer slidingWindow,
        @Default("false") boolean useSlidingWindow) {

    public LlamaConfig {
        if (!LlamaFamily.MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException("model_type '" + modelType + "' is not a LLaMA-family decoder; supported: "
                    + LlamaFamily.MODEL_TYPES);
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numKeyValueHeads != null && (numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0)) {
            throw new IllegalArgumentException("num_key_value_heads (" + numKeyValueHeads
                    + ") must be > 0 and divide num_attention_heads (" + numAttentionHeads + ")");
        }
        if (headDim == null && hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size (" + hiddenSize + ") is not divisible by num_attention_heads ("
                    + numAttentionHeads + "); set head_dim");
        }
        if (headDim != null && (headDim <= 0 || headDim % 2 != 0)) {
            throw new IllegalArgumentException("head_dim must be a positive even number, got " + headDim);
        }
        if (!hiddenAct.equals("silu")) {
            throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported; supported: [silu]");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
        }
        if (modelType.equals("qwen2") && useSlidingWindow) {
            throw new IllegalArgumentException("use_sliding_window: true (Qwen2 sliding-window layers) is not supported");
        }
        rope(ropeScaling); // validates
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, got " + value);
        }
    }

    public int kvHeads() {
        return numKeyValueHeads == null ? numAttentionHeads : numKeyValueHeads;
    }

    public int resolvedHeadDim() {
        return headDim == null ? hiddenSize / numAttentionHeads : headDim;
    }

    public RopeScaling rope() {
        return rope(ropeScaling);
    }

    /** Bias on q, k and v: always for Qwen2, {@code attention_bias} for LLaMA, never for Mistral. */
    public boolean qkvBias() {
        return switch (modelType) {
            case "qwen2" -> true;
            case "llama" -> attentionBias;
            default -> false;
        };
    }

    /** Bias on o_proj: only LLaMA with {@code attention_bias}. */
    public boolean outputBias() {
        return modelType.equals("llama") && attentionBias;
    }

    /** Sliding-window size for the attention mask, 0 for none (only Mistral uses one). */
    public int window() {
        return modelType.equals("mistral") && slidingWindow != null ? slidingWindow : 0;
    }

    private static RopeScaling rope(MapNode node) {
        if (node == null) {
            return RopeScaling.NONE;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigNode> e : node.entries().entrySet()) {
            if (e.getValue() instanceof ConfigNode.Scalar s) {
                map.put(e.getKey(), s.value());
            } else {
                map.put(e.getKey(), List.of()); // lists belong to scalings we do not support
            }
        }
        return RopeScaling.parse(map);
    }
}
