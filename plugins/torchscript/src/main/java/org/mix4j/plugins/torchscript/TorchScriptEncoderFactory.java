package org.mix4j.plugins.torchscript;

import org.mix4j.api.VisionEncoder;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: torchscript:encoder}: a TorchScript vision tower: pixel_values to tokens on a declared grid. The weights are inside the TorchScript file. */
@Extension
public final class TorchScriptEncoderFactory implements ComponentFactory<TorchScriptEncoderConfig, VisionEncoder> {

    @Override
    public String type() {
        return TorchScriptEncoder.TYPE;
    }

    @Override
    public Role role() {
        return Role.VISION_ENCODER;
    }

    @Override
    public Class<TorchScriptEncoderConfig> configType() {
        return TorchScriptEncoderConfig.class;
    }

    /** The archive holds its own weights: there is no safetensors checkpoint to open. */
    @Override
    public boolean hasWeights() {
        return false;
    }

    @Override
    public VisionEncoder create(TorchScriptEncoderConfig config, ComponentContext context) {
        String type = "torchscript:" + type();
        TorchScriptModule module = TorchScriptModule.load(
                TorchScriptModule.resolve(config.file(), context.directory(), type), context.manager().getDevice(), type);
        return new TorchScriptEncoder(config, module);
    }

    @Override
    public String description() {
        return "a TorchScript vision tower: pixel_values to tokens on a declared grid";
    }
}
