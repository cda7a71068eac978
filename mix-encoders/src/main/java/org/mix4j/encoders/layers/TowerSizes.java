package org.mix4j.encoders.layers;

/**
 * The checks a transformer tower's config runs on its sizes (CLIP's and SigLIP's vision towers,
 * CLIP's text tower), each message naming the config key the bad value came from.
 */
public final class TowerSizes {

    private TowerSizes() {}

    /**
     * Any tower: its widths, depth and heads at least 1, the heads dividing the width, a positive
     * layer-norm epsilon.
     */
    public static void check(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
            double layerNormEps) {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " must be divisible by num_attention_heads "
                    + numAttentionHeads);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layer_norm_eps must be > 0, got " + layerNormEps);
        }
    }

    /**
     * A vision tower: {@link #check} and its picture: channels and patch size at least 1, the image at
     * least one patch wide, {@code feature_layer} indexing a hidden state ({@link FeatureLayer}).
     */
    public static void checkVision(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
            double layerNormEps, int numChannels, int imageSize, int patchSize, int featureLayer) {
        check(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, layerNormEps);
        positive("num_channels", numChannels);
        positive("patch_size", patchSize);
        if (imageSize < patchSize) {
            throw new IllegalArgumentException("image_size " + imageSize + " must be at least patch_size " + patchSize);
        }
        FeatureLayer.check("feature_layer", featureLayer, numHiddenLayers);
    }

    /** Throws naming {@code key} when {@code value} is below 1. */
    public static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
    }
}
