package org.mix4j.encoders.siglip;

import org.mix4j.config.Default;
import org.mix4j.encoders.layers.FeatureLayer;
import org.mix4j.encoders.layers.FeatureSelect;
import org.mix4j.encoders.layers.TowerSizes;
import org.mix4j.nn.Activation;

/**
 * {@code siglip_vision}: transformers' {@code SiglipVisionConfig} keys, with that class's defaults,
 * plus the feature choice a connector needs.
 *
 * @param visionUseHead whether the attention-pooling head exists ({@code pooled} is null without it)
 * @param featureLayer which of the {@code num_hidden_layers + 1} hidden states becomes
 *     {@code features} (see {@link FeatureLayer}); -1 is the last layer before {@code post_layernorm}
 * @param select accepted for symmetry with {@code clip_vision}; SigLIP has no CLS token, so
 *     {@code patch} and {@code full} give the same tokens
 */
public record SiglipVisionConfig(
        @Default("768") int hiddenSize,
        @Default("3072") int intermediateSize,
        @Default("12") int numHiddenLayers,
        @Default("12") int numAttentionHeads,
        @Default("224") int imageSize,
        @Default("16") int patchSize,
        @Default("3") int numChannels,
        @Default("1e-6") double layerNormEps,
        @Default("gelu_pytorch_tanh") Activation hiddenAct,
        @Default("true") boolean visionUseHead,
        @Default("-2") int featureLayer,
        @Default("patch") FeatureSelect select) {

    public SiglipVisionConfig {
        TowerSizes.checkVision(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, layerNormEps,
                numChannels, imageSize, patchSize, featureLayer);
    }

    /** Patches per side: the convolution drops a remainder. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Positions of the position embedding, one per patch. */
    public int numPatches() {
        return gridSize() * gridSize();
    }
}
