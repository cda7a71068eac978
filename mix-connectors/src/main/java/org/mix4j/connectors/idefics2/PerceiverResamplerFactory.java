package org.mix4j.connectors.idefics2;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.mix4j.weights.Weights;
import org.pf4j.Extension;

/** {@code type: perceiver_resampler}, Idefics2's connector. */
@Extension
public final class PerceiverResamplerFactory implements ComponentFactory<PerceiverResamplerConfig, Connector> {

    @Override
    public String type() {
        return "perceiver_resampler";
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<PerceiverResamplerConfig> configType() {
        return PerceiverResamplerConfig.class;
    }

    /**
     * A full Idefics2 config: {@code perceiver_config} as Idefics2Config completes it, plus the
     * modality projection; a bare Idefics2PerceiverConfig: itself; anything else gives nothing.
     */
    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        if (checkpointConfig.get("perceiver_config") instanceof JsonObject perceiver) {
            JsonObject out = perceiver.deepCopy();
            JsonObject text = checkpointConfig.get("text_config") instanceof JsonObject t ? t : new JsonObject();
            JsonObject vision = checkpointConfig.get("vision_config") instanceof JsonObject v ? v : new JsonObject();
            JsonElement textHidden = text.get("hidden_size");
            if (textHidden != null && !textHidden.equals(perceiver.get("hidden_size"))) {
                out.add("hidden_size", textHidden);
                if (text.has("rms_norm_eps")) {
                    out.add("rms_norm_eps", text.get("rms_norm_eps"));
                }
            }
            out.addProperty("resampler_prefix", "perceiver_resampler.");
            out.addProperty("modality_projection", true);
            copy(vision, "hidden_size", out, "in_features");
            copy(text, "intermediate_size", out, "modality_intermediate_size");
            copy(text, "hidden_act", out, "modality_hidden_act");
            return out;
        }
        JsonElement type = checkpointConfig.get("model_type");
        if (type != null && type.isJsonPrimitive() && type.getAsString().equals("idefics2_perceiver")) {
            return checkpointConfig;
        }
        return null;
    }

    @Override
    public Connector create(PerceiverResamplerConfig config, ComponentContext context) {
        long in = 0;
        long intermediate = 0;
        if (config.modalityProjection()) {
            Shape gate = context.weights().shape("modality_projection.gate_proj.weight");
            in = size(config.inFeatures(), gate, 1, "in_features", context.weights());
            intermediate = size(config.modalityIntermediateSize(), gate, 0, "modality_intermediate_size",
                    context.weights());
        }
        return new PerceiverResampler(config, in, intermediate, context.weights(), context.manager(),
                context.parallel());
    }

    private static long size(Integer configured, Shape stored, int axis, String key, Weights weights) {
        if (configured != null) {
            return configured;
        }
        if (stored != null && stored.dimension() == 2) {
            return stored.get(axis);
        }
        throw new IllegalArgumentException("perceiver_resampler: modality_projection is on but '" + key
                + "' is not set and no tensor '" + weights.prefix() + "modality_projection.gate_proj.weight'"
                + " is stored to read it from; set " + key);
    }

    private static void copy(JsonObject from, String key, JsonObject to, String as) {
        if (from.has(key) && !from.get(key).isJsonNull()) {
            to.add(as, from.get(key));
        }
    }

    @Override
    public java.util.Map<String, Long> dimensions(PerceiverResamplerConfig config) {
        return ComponentFactory.widths("input_width", config.modalityProjection() ? config.inFeatures() : null,
                "output_width", config.hiddenSize());
    }

    @Override
    public String description() {
        return "Idefics2 perceiver resampler: resampler_n_latents latents attend to the features (RMSNorm, GQA)";
    }
}
