package org.mix4j.pipelines.text;

import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.mix4j.api.Role;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import org.pf4j.Extension;

/**
 * {@code mix run --model DIR} for causal LMs whose {@code model_type} is a registered language-model
 * type ({@code llama}, {@code qwen2}, {@code mistral}): a text pipeline with the checkpoint's tokenizer.
 */
@Extension
public final class CausalLmPreset implements Preset {

    private final Registry registry;

    @Inject
    public CausalLmPreset(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<String> yaml(Path dir, JsonObject config, JsonObject modelIndex) {
        String type = config != null && config.has("model_type") ? config.get("model_type").getAsString() : "";
        if (!isLanguageModelType(registry, type)) {
            return Optional.empty();
        }
        return Optional.of("# preset for a " + type + " causal LM\n"
                + "task: text\n"
                + "checkpoint: " + Presets.quote(dir.toAbsolutePath().normalize().toString()) + "\n"
                + "llm: { type: " + type + " }\n"
                + "tokenizer: { type: hf_tokenizer }\n"
                + "generation: { max_new_tokens: 256 }\n");
    }

    /** Whether {@code modelType} names a registered language model (plugin types are namespaced, so never match). */
    static boolean isLanguageModelType(Registry registry, String modelType) {
        RegisteredComponent c = registry.find(modelType);
        return c != null && c.role() == Role.LANGUAGE_MODEL;
    }

    static List<String> languageModelTypes(Registry registry) {
        return registry.components(Role.LANGUAGE_MODEL).stream().map(RegisteredComponent::type).toList();
    }
}
