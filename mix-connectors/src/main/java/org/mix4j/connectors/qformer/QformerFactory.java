package org.mix4j.connectors.qformer;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: qformer}, the BLIP-2 Q-Former. */
@Extension
public final class QformerFactory implements ComponentFactory<QformerConfig, Connector> {

    /** Blip2VisionConfig's default width, what Blip2Config copies when vision_config leaves it out. */
    private static final int BLIP2_VISION_HIDDEN = 1408;

    @Override
    public String type() {
        return "qformer";
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<QformerConfig> configType() {
        return QformerConfig.class;
    }

    /**
     * A full BLIP-2 config: {@code qformer_config} with the values Blip2Config sets on it; a bare
     * Blip2QFormerConfig: itself, with the tensors at the top level; anything else gives nothing.
     */
    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        if (checkpointConfig.get("qformer_config") instanceof JsonObject qformer) {
            JsonObject out = qformer.deepCopy();
            JsonObject vision = checkpointConfig.get("vision_config") instanceof JsonObject v ? v : new JsonObject();
            out.add("encoder_hidden_size", vision.has("hidden_size") ? vision.get("hidden_size")
                    : new JsonPrimitive(BLIP2_VISION_HIDDEN));
            if (checkpointConfig.has("num_query_tokens")) {
                out.add("num_query_tokens", checkpointConfig.get("num_query_tokens"));
            }
            out.addProperty("qformer_prefix", "qformer.");
            out.addProperty("language_projection", true);
            if (checkpointConfig.get("text_config") instanceof JsonObject text && text.has("hidden_size")) {
                out.add("projection_size", text.get("hidden_size"));
            }
            return out;
        }
        JsonElement type = checkpointConfig.get("model_type");
        if (type != null && type.isJsonPrimitive() && type.getAsString().equals("blip_2_qformer")) {
            JsonObject out = checkpointConfig.deepCopy();
            out.addProperty("qformer_prefix", "");
            return out;
        }
        return null;
    }

    @Override
    public Connector create(QformerConfig config, ComponentContext context) {
        long projectionSize = 0;
        if (config.languageProjection()) {
            Shape stored = context.weights().shape("language_projection.weight");
            if (config.projectionSize() != null) {
                projectionSize = config.projectionSize();
            } else if (stored != null && stored.dimension() == 2) {
                projectionSize = stored.get(0);
            } else {
                throw new IllegalArgumentException("qformer: language_projection is on but projection_size is not set"
                        + " and no tensor '" + context.weights().prefix() + "language_projection.weight' is stored"
                        + " to read it from; set projection_size (the language model's hidden size)");
            }
        }
        return new QformerConnector(config, projectionSize, context.weights(), context.manager(), context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(QformerConfig config) {
        return ComponentFactory.widths("input_width", config.encoderHiddenSize(), "output_width",
                config.languageProjection() ? config.projectionSize() : config.hiddenSize());
    }

    @Override
    public String description() {
        return "BLIP-2 Q-Former: num_query_tokens learned queries cross-attend to the image features";
    }
}
