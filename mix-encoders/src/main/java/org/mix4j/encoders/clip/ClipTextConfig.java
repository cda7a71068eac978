package org.mix4j.encoders.clip;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.encoders.layers.FeatureLayer;
import org.mix4j.encoders.layers.TowerSizes;
import org.mix4j.nn.Activation;

/**
 * {@code clip_text}: transformers' {@code CLIPTextConfig} keys, with that class's defaults.
 *
 * @param eosTokenId the pooled output is taken at the first occurrence of this id in each row;
 *     when it is 2 (configs saved before transformers fixed the id) the legacy rule applies instead:
 *     the position of the largest id, which is the EOS token of the original CLIP vocabulary
 * @param projectionDim width of {@code text_projection}; used only when the checkpoint has one
 * @param featureLayer when set, {@code features} is that entry of the hidden states (as
 *     {@link FeatureLayer} defines, before {@code final_layer_norm}; Stable Diffusion XL's
 *     conditioning uses -2); when absent, {@code features} is {@code last_hidden_state}
 */
public record ClipTextConfig(
        @Default("49408") int vocabSize,
        @Default("512") int hiddenSize,
        @Default("2048") int intermediateSize,
        @Default("12") int numHiddenLayers,
        @Default("8") int numAttentionHeads,
        @Default("77") int maxPositionEmbeddings,
        @Default("1e-5") double layerNormEps,
        @Default("quick_gelu") Activation hiddenAct,
        @Default("512") int projectionDim,
        @Default("49407") int eosTokenId,
        @OptionalKey Integer featureLayer) {

    /** The {@code eos_token_id} of old CLIP configs, for which transformers keeps the argmax rule. */
    public static final int LEGACY_EOS_TOKEN_ID = 2;

    public ClipTextConfig {
        TowerSizes.check(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, layerNormEps);
        TowerSizes.positive("vocab_size", vocabSize);
        TowerSizes.positive("max_position_embeddings", maxPositionEmbeddings);
        TowerSizes.positive("projection_dim", projectionDim);
        if (featureLayer != null) {
            FeatureLayer.check("feature_layer", featureLayer, numHiddenLayers);
        }
    }

    /** Whether pooling uses the legacy argmax-of-ids rule. */
    public boolean legacyPooling() {
        return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }
}
