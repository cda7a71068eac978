package org.mix4j.encoders.clip;

import com.google.gson.JsonObject;
import org.mix4j.api.Role;
import org.mix4j.api.TextEncoder;
import org.mix4j.encoders.CheckpointConfigs;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: clip_text}. */
@Extension
public final class ClipTextFactory implements ComponentFactory<ClipTextConfig, TextEncoder> {

    @Override
    public String type() {
        return "clip_text";
    }

    @Override
    public Role role() {
        return Role.TEXT_ENCODER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("CLIPTextModel", "CLIPTextModelWithProjection", "clip_text_model");
    }

    @Override
    public Class<ClipTextConfig> configType() {
        return ClipTextConfig.class;
    }

    @Override
    public TextEncoder create(ClipTextConfig config, ComponentContext context) {
        return new ClipTextEncoder(config, context.weights(), context.manager(), context.dtype(), context.parallel());
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return CheckpointConfigs.text(checkpointConfig);
    }

    @Override
    public java.util.Map<String, Long> dimensions(ClipTextConfig config) {
        return ComponentFactory.widths("output_width", config.hiddenSize(), "hidden_size", config.hiddenSize(),
                "vocab_size", config.vocabSize());
    }

    @Override
    public String description() {
        return "CLIP text transformer (transformers CLIPTextModel[WithProjection]); pooled at EOS";
    }
}
