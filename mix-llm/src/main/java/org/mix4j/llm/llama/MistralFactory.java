package org.mix4j.llm.llama;

import com.google.gson.JsonObject;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: mistral}: Mistral decoder (transformers MistralForCausalLM; sliding window). Same implementation as the whole LLaMA family. */
@Extension
public final class MistralFactory implements ComponentFactory<LlamaConfig, LanguageModel> {

    @Override
    public String type() {
        return "mistral";
    }

    @Override
    public Role role() {
        return Role.LANGUAGE_MODEL;
    }

    @Override
    public Class<LlamaConfig> configType() {
        return LlamaConfig.class;
    }

    @Override
    public JsonObject configDefaults(JsonObject checkpointConfig) {
        return LlamaFamily.withClassDefaults(checkpointConfig, type());
    }

    @Override
    public LanguageModel create(LlamaConfig config, ComponentContext context) {
        return LlamaFamily.create(config, context);
    }

    @Override
    public String description() {
        return "Mistral decoder (transformers MistralForCausalLM; sliding window)";
    }
}
