package org.mix4j.encoders.siglip;

import com.google.gson.JsonObject;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.CheckpointConfigs;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: siglip_vision}. */
@Extension
public final class SiglipVisionFactory implements ComponentFactory<SiglipVisionConfig, VisionEncoder> {

    @Override
    public String type() {
        return "siglip_vision";
    }

    @Override
    public Role role() {
        return Role.VISION_ENCODER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("SiglipVisionModel", "siglip_vision_model");
    }

    @Override
    public Class<SiglipVisionConfig> configType() {
        return SiglipVisionConfig.class;
    }

    @Override
    public VisionEncoder create(SiglipVisionConfig config, ComponentContext context) {
        return new SiglipVisionEncoder(config, context.weights(), context.manager(), context.dtype(),
                context.parallel());
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return CheckpointConfigs.vision(checkpointConfig);
    }

    @Override
    public java.util.Map<String, Long> dimensions(SiglipVisionConfig config) {
        return ComponentFactory.widths("output_width", config.hiddenSize());
    }

    @Override
    public String description() {
        return "SigLIP vision tower (transformers SiglipVisionModel) with attention-pooling head";
    }
}
