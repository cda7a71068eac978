package org.mix4j.plugins.pixelshuffle;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/**
 * {@code type: pixel-shuffle:pixel_shuffle}: InternVL's {@code mlp1} connector, tensors
 * {@code mlp1.0.*} (LayerNorm), {@code mlp1.1.*} and {@code mlp1.3.*} (Linears).
 */
@Extension
public final class PixelShuffleFactory implements ComponentFactory<PixelShuffleConfig, Connector> {

    /** The type name inside this plugin; YAML writes it {@code pixel-shuffle:pixel_shuffle}. */
    static final String TYPE = "pixel_shuffle";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<PixelShuffleConfig> configType() {
        return PixelShuffleConfig.class;
    }

    /**
     * The keys this connector reads, gathered from an InternVL config: the vision tower's and the
     * language model's widths live in their sub-configs ({@code llm_config}; {@code text_config} in
     * transformers-style composites), the shuffle settings at the top level.
     */
    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        JsonObject out = new JsonObject();
        copy(checkpointConfig, "vision_hidden_size", out, "vision_hidden_size");
        copy(checkpointConfig, "llm_hidden_size", out, "llm_hidden_size");
        copy(sub(checkpointConfig, "vision_config"), "hidden_size", out, "vision_hidden_size");
        copy(sub(checkpointConfig, "llm_config"), "hidden_size", out, "llm_hidden_size");
        copy(sub(checkpointConfig, "text_config"), "hidden_size", out, "llm_hidden_size");
        for (String key : new String[] {"downsample_ratio", "ps_version", "drop_cls", "layer_norm_eps"}) {
            copy(checkpointConfig, key, out, key);
        }
        return out;
    }

    private static JsonObject sub(JsonObject config, String key) {
        JsonElement e = config.get(key);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }

    private static void copy(JsonObject from, String key, JsonObject to, String as) {
        if (from != null && from.has(key) && !from.get(key).isJsonNull() && !to.has(as)) {
            to.add(as, from.get(key));
        }
    }

    @Override
    public Connector create(PixelShuffleConfig config, ComponentContext context) {
        return new PixelShuffleConnector(config, context.weights(), context.manager(), context.parallel());
    }

    @Override
    public String description() {
        return "InternVL mlp1: pixel shuffle by downsample_ratio, LayerNorm, Linear, GELU, Linear";
    }
}
