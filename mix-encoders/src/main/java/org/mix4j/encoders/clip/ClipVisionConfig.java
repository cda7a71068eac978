package org.mix4j.encoders.clip;

import org.mix4j.config.Default;
import org.mix4j.encoders.layers.FeatureLayer;
import org.mix4j.encoders.layers.FeatureSelect;
import org.mix4j.encoders.layers.TowerSizes;
import org.mix4j.nn.Activation;

/**
 * {@code clip_vision}: transformers' {@code CLIPVisionConfig} keys (defaults are that class's), plus
 * the feature choice a connector needs.
 *
 * @param projectionDim width of {@code visual_projection}; used only when the checkpoint has one
 * @param featureLayer which of the {@code num_hidden_layers + 1} hidden states becomes
 *     {@code features} (see {@link FeatureLayer}); -2 is what LLaVA feeds its projector
 * @param select {@code patch} drops the CLS token from {@code features}, {@code full} keeps it
 */
public record ClipVisionConfig(
        @Default("768") int hiddenSize,
        @Default("3072") int intermediateSize,
        @Default("12") int numHiddenLayers,
        @Default("12") int numAttentionHeads,
        @Default("224") int imageSize,
        @Default("32") int patchSize,
        @Default("3") int numChannels,
        @Default("1e-5") double layerNormEps,
        @Default("quick_gelu") Activation hiddenAct,
        @Default("512") int projectionDim,
        @Default("-2") int featureLayer,
        @Default("patch") FeatureSelect select) {

    public ClipVisionConfig {
        TowerSizes.checkVision(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, layerNormEps,
                numChannels, imageSize, patchSize, featureLayer);
        TowerSizes.positive("projection_dim", projectionDim);
    }

    /** Patches per side: the convolution drops a remainder. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Positions of the position embedding: the patches plus CLS. */
    public int numPositions() {
        return gridSize() * gridSize() + 1;
    }
}
