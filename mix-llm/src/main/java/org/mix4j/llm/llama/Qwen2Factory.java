package org.mix4j.llm.llama;

import com.google.gson.JsonObject;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.pf4j.Extension;

/** {@code type: qwen2}: Qwen2 / Qwen2.5 decoder (transformers Qwen2ForCausalLM; q/k/v bias). Same implementation as the whole LLaMA family. */
@Extension
public final class Qwen2Factory implements ComponentFactory<LlamaConfig, LanguageModel> {

    @Override
    public String type() {
        return "qwen2";
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
        return "Qwen2 / Qwen2.5 decoder (transformers Qwen2ForCausalLM; q/k/v bias)";
    }
}
