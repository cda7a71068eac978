package org.mix4j.diffusion.controlnet;

import org.mix4j.api.ControlNet;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** YAML {@code type: controlnet}: a diffusers ControlNetModel folder (SD 1.x / 2.x ControlNets). */
@Extension
public final class ControlNetFactory implements ComponentFactory<ControlNetConfig, ControlNet> {

    @Override
    public String type() {
        return "controlnet";
    }

    @Override
    public Role role() {
        return Role.CONTROLNET;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("ControlNetModel");
    }

    @Override
    public Class<ControlNetConfig> configType() {
        return ControlNetConfig.class;
    }

    @Override
    public ControlNet create(ControlNetConfig config, ComponentContext context) {
        return new ControlNetModel(config, context.weights(), context.manager(), context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(ControlNetConfig config) {
        return ComponentFactory.widths("in_channels", config.inChannels(), "cross_attention_dim", config.crossAttentionDim());
    }

    @Override
    public String description() {
        return "diffusers ControlNetModel: residuals for a unet2d_condition from a control image";
    }
}
