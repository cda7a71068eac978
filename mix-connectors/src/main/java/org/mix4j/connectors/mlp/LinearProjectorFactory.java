package org.mix4j.connectors.mlp;

import com.google.gson.JsonObject;
import java.util.List;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.nn.Activation;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: linear}: one linear, tensors {@code weight} and {@code bias} under the prefix. */
@Extension
public final class LinearProjectorFactory implements ComponentFactory<LinearProjectorConfig, Connector> {

    private static final String TYPE = "linear";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<LinearProjectorConfig> configType() {
        return LinearProjectorConfig.class;
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        JsonObject llava = LlavaProjectorSizes.fromLlavaConfig(checkpointConfig);
        if (llava != null) {
            llava.remove("hidden_act"); // a single linear has no activation
        }
        return llava;
    }

    @Override
    public Connector create(LinearProjectorConfig config, ComponentContext context) {
        long in = LlavaProjectorSizes.resolve(config.inFeatures(), context.weights(), "weight", 1, "in_features", TYPE);
        long out = LlavaProjectorSizes.resolve(config.outFeatures(), context.weights(), "weight", 0, "out_features",
                TYPE);
        return new MlpProjector(List.of(""), new long[] {in, out}, Activation.GELU, config.bias(), context.weights(),
                context.manager(), context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(LinearProjectorConfig config) {
        return ComponentFactory.widths("input_width", config.inFeatures(), "output_width", config.outFeatures());
    }

    @Override
    public String description() {
        return "one linear layer (weight, bias) from vision width to LLM width";
    }
}
