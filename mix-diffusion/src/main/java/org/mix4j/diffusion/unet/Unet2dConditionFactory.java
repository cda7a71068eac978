package org.mix4j.diffusion.unet;

import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.diffusion.lora.LoraWeights;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** YAML {@code type: unet2d_condition}: a diffusers UNet2DConditionModel folder (SD 1.x / 2.x UNets). */
@Extension
public final class Unet2dConditionFactory implements ComponentFactory<Unet2dConditionConfig, Denoiser> {

    @Override
    public String type() {
        return "unet2d_condition";
    }

    @Override
    public Role role() {
        return Role.DENOISER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("UNet2DConditionModel");
    }

    @Override
    public Class<Unet2dConditionConfig> configType() {
        return Unet2dConditionConfig.class;
    }

    @Override
    public Denoiser create(Unet2dConditionConfig config, ComponentContext context) {
        if (config.lora().isEmpty()) {
            return new Unet2dCondition(config, context.weights(), context.manager(), context.parallel());
        }
        try (LoraWeights merged = LoraWeights.open(context.weights(), config.lora(), context.directory())) {
            Unet2dCondition unet = new Unet2dCondition(config, merged, context.manager(), context.parallel());
            merged.requireAllApplied("unet2d_condition");
            return unet;
        }
    }

    @Override
    public java.util.Map<String, Long> dimensions(Unet2dConditionConfig config) {
        return ComponentFactory.widths("in_channels", config.inChannels(), "cross_attention_dim",
                config.crossAttentionDim().stream().distinct().count() == 1 ? config.crossAttentionDim().get(0) : null);
    }

    @Override
    public String description() {
        return "diffusers UNet2DConditionModel (Stable Diffusion 1.x/2.x denoiser)";
    }
}
