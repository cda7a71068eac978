package org.mix4j.connectors.mlp;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import org.mix4j.weights.Weights;

/** Where the projector types find their sizes when YAML does not give them. */
final class LlavaProjectorSizes {

    private LlavaProjectorSizes() {}

    /**
     * The projector keys a composite (LLaVA-family) config implies: {@code vision_config.hidden_size},
     * {@code text_config.hidden_size}, {@code projector_hidden_act}, {@code multimodal_projector_bias}.
     * {@code null} for a config without both sub-configs: a vision or language model's own
     * {@code hidden_act} must not leak into the projector.
     */
    static JsonObject fromLlavaConfig(JsonObject config) {
        if (!(config.get("vision_config") instanceof JsonObject vision)
                || !(config.get("text_config") instanceof JsonObject text)) {
            return null;
        }
        JsonObject out = new JsonObject();
        copy(vision, "hidden_size", out, "in_features");
        copy(text, "hidden_size", out, "out_features");
        copy(config, "projector_hidden_act", out, "hidden_act");
        copy(config, "multimodal_projector_bias", out, "bias");
        return out;
    }

    private static void copy(JsonObject from, String key, JsonObject to, String as) {
        if (from != null && from.has(key) && !from.get(key).isJsonNull()) {
            to.add(as, from.get(key));
        }
    }

    /** A size from YAML/config, else the stored tensor's dimension {@code axis}, else an error naming the key. */
    static long resolve(Integer configured, Weights weights, String tensor, int axis, String key, String type) {
        if (configured != null) {
            return configured;
        }
        Shape stored = weights.shape(tensor);
        if (stored != null && stored.dimension() == 2) {
            return stored.get(axis);
        }
        throw new IllegalArgumentException(type + ": '" + key + "' is not set, the checkpoint config does not give it"
                + " and no tensor '" + weights.prefix() + tensor + "' is stored to read it from; set " + key);
    }
}
