package org.mix4j.llm.llama;

import com.google.gson.JsonObject;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;

/**
 * One registry entry per {@code model_type} of the LLaMA family; they differ only in their name
 * and in the transformers class defaults filled into partial configs.
 */
abstract class LlamaFamilyFactory implements ComponentFactory<LlamaConfig, LanguageModel> {

    private final String type;
    private final String description;

    LlamaFamilyFactory(String type, String description) {
        this.type = type;
        this.description = description;
    }

    @Override
    public String type() {
        return type;
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
        return LlamaFamily.withClassDefaults(checkpointConfig, type);
    }

    @Override
    public LanguageModel create(LlamaConfig config, ComponentContext context) {
        return LlamaFamily.create(config, context);
    }

    @Override
    public String description() {
        return description;
    }
}
