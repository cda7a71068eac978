package org.mix4j.encoders;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.mix4j.encoders.layers.FeatureSelect;

/**
 * Where an encoder's defaults sit in a checkpoint's {@code config.json}: the file itself for a
 * stand-alone tower, or its {@code vision_config} / {@code text_config} inside a composite model
 * (CLIPModel, SiglipModel, LLaVA). A few values of the composite apply to the tower and are lifted
 * into the sub-config: CLIPModel's top-level {@code projection_dim} (its projections use it, not the
 * sub-config's own), and LLaVA's {@code vision_feature_layer} / {@code vision_feature_select_strategy}
 * as {@code feature_layer} / {@code select}.
 */
public final class CheckpointConfigs {

    private CheckpointConfigs() {}

    /** Defaults of a vision tower. */
    public static JsonObject vision(JsonObject checkpointConfig) {
        JsonObject sub = subConfig(checkpointConfig, "vision_config");
        if (sub == checkpointConfig) {
            return checkpointConfig;
        }
        liftInt(checkpointConfig, sub, "projection_dim", "projection_dim");
        liftInt(checkpointConfig, sub, "vision_feature_layer", "feature_layer");
        JsonElement strategy = checkpointConfig.get("vision_feature_select_strategy");
        if (strategy != null && strategy.isJsonPrimitive()) {
            FeatureSelect select = FeatureSelect.fromLlavaStrategy(strategy.getAsString());
            if (select != null) {
                sub.addProperty("select", select.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return sub;
    }

    /** Defaults of a text tower. */
    public static JsonObject text(JsonObject checkpointConfig) {
        JsonObject sub = subConfig(checkpointConfig, "text_config");
        if (sub != checkpointConfig) {
            liftInt(checkpointConfig, sub, "projection_dim", "projection_dim");
        }
        return sub;
    }

    /** A copy of {@code key}'s object when present, else the config itself. */
    private static JsonObject subConfig(JsonObject config, String key) {
        JsonElement sub = config.get(key);
        return sub != null && sub.isJsonObject() ? sub.getAsJsonObject().deepCopy() : config;
    }

    /** Copies an integer value (a list, as newer LLaVA configs allow, is left alone). */
    private static void liftInt(JsonObject from, JsonObject to, String fromKey, String toKey) {
        JsonElement v = from.get(fromKey);
        if (v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
            to.add(toKey, v);
        }
    }
}
