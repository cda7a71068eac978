package org.mix4j.connectors.mlp;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.mix4j.weights.Weights;
import org.pf4j.Extension;

/** {@code type: mlp}, LLaVA's {@code multi_modal_projector} (tensors {@code linear_1 ... linear_N}). */
@Extension
public final class MlpProjectorFactory implements ComponentFactory<MlpProjectorConfig, Connector> {

    static final String TYPE = "mlp";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<MlpProjectorConfig> configType() {
        return MlpProjectorConfig.class;
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return LlavaProjectorSizes.fromLlavaConfig(checkpointConfig);
    }

    @Override
    public Connector create(MlpProjectorConfig config, ComponentContext context) {
        Weights weights = context.weights();
        int n = config.numLayers();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            names.add("linear_" + i);
        }
        String first = names.get(0) + ".weight";
        String last = names.get(n - 1) + ".weight";
        long in = LlavaProjectorSizes.resolve(config.inFeatures(), weights, first, 1, "in_features", TYPE);
        long out = LlavaProjectorSizes.resolve(config.outFeatures(), weights, last, 0, "out_features", TYPE);
        long hidden = n == 1 ? out
                : config.hiddenFeatures() != null ? config.hiddenFeatures()
                : weights.shape(first) != null ? weights.shape(first).get(0) : out;
        long[] widths = new long[n + 1];
        widths[0] = in;
        for (int i = 1; i < n; i++) {
            widths[i] = hidden;
        }
        widths[n] = out;
        return new MlpProjector(names, widths, config.hiddenAct(), config.bias(), weights, context.manager(),
                context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(MlpProjectorConfig config) {
        return ComponentFactory.widths("input_width", config.inFeatures(), "output_width", config.outFeatures());
    }

    @Override
    public String description() {
        return "LLaVA projector: num_layers linears with hidden_act between (linear_1..linear_N)";
    }
}
