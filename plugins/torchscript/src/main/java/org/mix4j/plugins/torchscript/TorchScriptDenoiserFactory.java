package org.mix4j.plugins.torchscript;

import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: torchscript:denoiser}: a TorchScript UNet/DiT called with the declared inputs. The weights are inside the TorchScript file. */
@Extension
public final class TorchScriptDenoiserFactory implements ComponentFactory<TorchScriptDenoiserConfig, Denoiser> {

    @Override
    public String type() {
        return TorchScriptDenoiser.TYPE;
    }

    @Override
    public Role role() {
        return Role.DENOISER;
    }

    @Override
    public Class<TorchScriptDenoiserConfig> configType() {
        return TorchScriptDenoiserConfig.class;
    }

    /** The archive holds its own weights: there is no safetensors checkpoint to open. */
    @Override
    public boolean hasWeights() {
        return false;
    }

    @Override
    public Denoiser create(TorchScriptDenoiserConfig config, ComponentContext context) {
        String type = "torchscript:" + type();
        TorchScriptModule module = TorchScriptModule.load(
                TorchScriptModule.resolve(config.file(), context.directory(), type), context.manager().getDevice(), type);
        return new TorchScriptDenoiser(config, module);
    }

    @Override
    public String description() {
        return "a TorchScript UNet/DiT called with the declared inputs";
    }
}
