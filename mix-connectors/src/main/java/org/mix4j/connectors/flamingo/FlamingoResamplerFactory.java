package org.mix4j.connectors.flamingo;

import com.google.gson.JsonObject;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/**
 * {@code type: perceiver_resampler_flamingo}. A type of its own rather than a variant of
 * {@code perceiver_resampler}: norms, attention layout, feed-forward and tensor names all differ.
 */
@Extension
public final class FlamingoResamplerFactory implements ComponentFactory<FlamingoResamplerConfig, Connector> {

    @Override
    public String type() {
        return "perceiver_resampler_flamingo";
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<FlamingoResamplerConfig> configType() {
        return FlamingoResamplerConfig.class;
    }

    /** No Hugging Face config describes it; every size comes from YAML. */
    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return null;
    }

    @Override
    public Connector create(FlamingoResamplerConfig config, ComponentContext context) {
        return new FlamingoResampler(config, context.weights(), context.manager(), context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(FlamingoResamplerConfig config) {
        return ComponentFactory.widths("input_width", config.hiddenSize(), "output_width",
                config.outFeatures() != null ? config.outFeatures() : config.hiddenSize());
    }

    @Override
    public String description() {
        return "Flamingo perceiver resampler: num_latents latents attend to the features (LayerNorm, GELU FFN)";
    }
}
