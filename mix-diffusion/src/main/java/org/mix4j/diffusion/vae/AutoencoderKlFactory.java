package org.mix4j.diffusion.vae;

import org.mix4j.api.Autoencoder;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** YAML {@code type: autoencoder_kl}: a diffusers AutoencoderKL folder (the SD VAE), optionally tiled. */
@Extension
public final class AutoencoderKlFactory implements ComponentFactory<AutoencoderKlConfig, Autoencoder> {

    @Override
    public String type() {
        return "autoencoder_kl";
    }

    @Override
    public Role role() {
        return Role.AUTOENCODER;
    }

    @Override
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of("AutoencoderKL");
    }

    @Override
    public Class<AutoencoderKlConfig> configType() {
        return AutoencoderKlConfig.class;
    }

    @Override
    public Autoencoder create(AutoencoderKlConfig config, ComponentContext context) {
        return new AutoencoderKl(config, context.weights(), context.manager(), context.parallel());
    }

    @Override
    public java.util.Map<String, Long> dimensions(AutoencoderKlConfig config) {
        return ComponentFactory.widths("latent_channels", config.latentChannels());
    }

    @Override
    public String description() {
        return "diffusers AutoencoderKL (Stable Diffusion VAE), tiled encode/decode with 'tiling: {enabled: true}'";
    }
}
