package org.mix4j.encoders.clip;

import com.google.gson.JsonObject;
import org.mix4j.api.Role;
import org.mix4j.api.VisionEncoder;
import org.mix4j.encoders.CheckpointConfigs;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: clip_vision}. */
@Extension
public final class ClipVisionFactory implements ComponentFactory<ClipVisionConfig, VisionEncoder> {

    @Override
    public String type() {
        return "clip_vision";
    }

    @Override
    public Role role() {
        return Role.VISION_ENCODER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("CLIPVisionModel", "clip_vision_model");
    }

    @Override
    public Class<ClipVisionConfig> configType() {
        return ClipVisionConfig.class;
    }

    @Override
    public VisionEncoder create(ClipVisionConfig config, ComponentContext context) {
        return new ClipVisionEncoder(config, context.weights(), context.manager(), context.dtype(), context.parallel());
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return CheckpointConfigs.vision(checkpointConfig);
    }

    @Override
    public java.util.Map<String, Long> dimensions(ClipVisionConfig config) {
        return ComponentFactory.widths("output_width", config.hiddenSize());
    }

    @Override
    public String description() {
        return "CLIP ViT vision tower (transformers CLIPVisionModel[WithProjection]); features from feature_layer";
    }
}
