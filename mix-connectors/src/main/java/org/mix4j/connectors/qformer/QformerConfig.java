package org.mix4j.connectors.qformer;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.nn.Activation;

/**
 * Blip2QFormerConfig's architecture keys (class defaults of transformers 4.47), plus where the
 * queries and the projection to the language model come from. From a full BLIP-2 config the keys
 * are read from {@code qformer_config}, with {@code encoder_hidden_size = vision_config.hidden_size}
 * and {@code num_query_tokens} from the top level, as {@code Blip2Config} does.
 *
 * @param learnedQueries whether {@code project} uses the checkpoint's learned {@code query_tokens}
 *     {@code [1, num_query_tokens, hidden_size]}; false for a bare Blip2QFormerModel checkpoint,
 *     whose queries are passed to {@link QformerConnector#forward}
 * @param qformerPrefix where the Q-Former's tensors are, relative to {@code weights_prefix}:
 *     {@code qformer.} in a Blip2ForConditionalGeneration checkpoint (next to {@code query_tokens}
 *     and {@code language_projection}), empty in a bare Blip2QFormerModel checkpoint
 * @param languageProjection whether {@code language_projection} (Linear with bias) maps the query
 *     outputs to the language model's width; true for a full BLIP-2 checkpoint
 * @param projectionSize that width; {@code text_config.hidden_size} of a BLIP-2 config, else the
 *     stored {@code language_projection.weight} decides
 */
public record QformerConfig(
        @Default("768") int hiddenSize,
        @Default("12") int numHiddenLayers,
        @Default("12") int numAttentionHeads,
        @Default("3072") int intermediateSize,
        @Default("gelu") Activation hiddenAct,
        @Default("1e-12") double layerNormEps,
        @Default("2") int crossAttentionFrequency,
        @Default("1408") int encoderHiddenSize,
        @Default("absolute") String positionEmbeddingType,
        @Default("32") int numQueryTokens,
        @Default("true") boolean learnedQueries,
        @Default("qformer.") String qformerPrefix,
        @Default("false") boolean languageProjection,
        @OptionalKey Integer projectionSize) {

    public QformerConfig {
        require(hiddenSize > 0 && numHiddenLayers > 0 && numAttentionHeads > 0 && intermediateSize > 0
                && encoderHiddenSize > 0 && numQueryTokens > 0, "sizes must be positive: hidden_size " + hiddenSize
                + ", num_hidden_layers " + numHiddenLayers + ", num_attention_heads " + numAttentionHeads
                + ", intermediate_size " + intermediateSize + ", encoder_hidden_size " + encoderHiddenSize
                + ", num_query_tokens " + numQueryTokens);
        require(hiddenSize % numAttentionHeads == 0, "hidden_size " + hiddenSize
                + " is not a multiple of num_attention_heads " + numAttentionHeads);
        require(crossAttentionFrequency > 0, "cross_attention_frequency must be positive, got "
                + crossAttentionFrequency);
        // Relative position embeddings change the self-attention scores; no BLIP-2 checkpoint uses them.
        require(positionEmbeddingType.equals("absolute"), "position_embedding_type '" + positionEmbeddingType
                + "' is not supported; valid: absolute");
        require(projectionSize == null || projectionSize > 0, "projection_size must be positive, got "
                + projectionSize);
    }

    /** transformers puts cross-attention in the layers whose index is a multiple of the frequency. */
    public boolean hasCrossAttention(int layer) {
        return layer % crossAttentionFrequency == 0;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
