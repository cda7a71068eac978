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
    private final String architecture;

    /** @param architecture the transformers class ({@code LlamaForCausalLM}); the model_type is {@code type} */
    LlamaFamilyFactory(String type, String description, String architecture) {
        this.type = type;
        this.description = description;
        this.architecture = architecture;
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
    public java.util.List<String> checkpointClasses() {
        return java.util.List.of(type, architecture);
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
    public java.util.Map<String, Long> dimensions(LlamaConfig config) {
        return ComponentFactory.widths("hidden_size", config.hiddenSize(), "vocab_size", config.vocabSize());
    }

    @Override
    public String description() {
        return description;
    }
}
