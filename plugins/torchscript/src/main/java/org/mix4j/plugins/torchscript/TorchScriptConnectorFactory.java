package org.mix4j.plugins.torchscript;

import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: torchscript:connector}: a TorchScript projector: vision features to the LLM width. The weights are inside the TorchScript file. */
@Extension
public final class TorchScriptConnectorFactory implements ComponentFactory<TorchScriptConnectorConfig, Connector> {

    @Override
    public String type() {
        return TorchScriptConnector.TYPE;
    }

    @Override
    public Role role() {
        return Role.CONNECTOR;
    }

    @Override
    public Class<TorchScriptConnectorConfig> configType() {
        return TorchScriptConnectorConfig.class;
    }

    /** The archive holds its own weights: there is no safetensors checkpoint to open. */
    @Override
    public boolean hasWeights() {
        return false;
    }

    @Override
    public Connector create(TorchScriptConnectorConfig config, ComponentContext context) {
        String type = "torchscript:" + type();
        TorchScriptModule module = TorchScriptModule.load(
                TorchScriptModule.resolve(config.file(), context.directory(), type), context.manager().getDevice(), type);
        return new TorchScriptConnector(config, module);
    }

    @Override
    public String description() {
        return "a TorchScript projector: vision features to the LLM width";
    }
}
