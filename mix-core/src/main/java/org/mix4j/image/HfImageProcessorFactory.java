package org.mix4j.image;

import org.mix4j.api.ImageProcessor;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: hf_image_processor}: a checkpoint's {@code preprocessor_config.json}, CLIP or SigLIP style. */
@Extension
public final class HfImageProcessorFactory implements ComponentFactory<HfImageProcessorConfig, ImageProcessor> {

    @Override
    public String type() {
        return "hf_image_processor";
    }

    @Override
    public Role role() {
        return Role.IMAGE_PROCESSOR;
    }

    @Override
    public Class<HfImageProcessorConfig> configType() {
        return HfImageProcessorConfig.class;
    }

    @Override
    public ImageProcessor create(HfImageProcessorConfig config, ComponentContext context) {
        return new HfImageProcessor(config);
    }

    @Override
    public String configFile() {
        return "preprocessor_config.json";
    }

    @Override
    public boolean hasWeights() {
        return false;
    }

    @Override
    public String description() {
        return "Hugging Face CLIP/SigLIP image processor (PIL-exact resize, crop, rescale, normalize)";
    }
}
