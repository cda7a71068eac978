package org.mix4j.encoders.layers;

/**
 * {@code feature_layer} indexing, exactly as transformers' {@code output_hidden_states}: there are
 * {@code num_hidden_layers + 1} hidden states, entry 0 is the input of the first encoder layer (the
 * embeddings, after CLIP's {@code pre_layrnorm}) and entry {@code i} the output of layer {@code i};
 * negative values count from the end, so {@code -1} is the last layer's output before any
 * post-layernorm.
 */
public final class FeatureLayer {

    private FeatureLayer() {}

    /** Throws a message naming the valid range when {@code featureLayer} does not index a hidden state. */
    public static void check(String key, int featureLayer, int numHiddenLayers) {
        if (featureLayer > numHiddenLayers || featureLayer < -(numHiddenLayers + 1)) {
            throw new IllegalArgumentException(key + " " + featureLayer + " is out of range: with num_hidden_layers "
                    + numHiddenLayers + " there are " + (numHiddenLayers + 1) + " hidden states, valid values are "
                    + -(numHiddenLayers + 1) + " to " + numHiddenLayers + " (0 = embeddings, -1 = last layer)");
        }
    }

    /** The non-negative index into the {@code num_hidden_layers + 1} hidden states. */
    public static int resolve(int featureLayer, int numHiddenLayers) {
        return featureLayer >= 0 ? featureLayer : numHiddenLayers + 1 + featureLayer;
    }
}
