package org.mix4j.pipelines.text;

import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mix4j.api.Role;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import org.pf4j.Extension;

/**
 * {@code mix run --model DIR} and {@code mix chat --model DIR} for causal LMs: a text pipeline of
 * the language model whose factory declares the checkpoint's {@code model_type}, with the
 * checkpoint's tokenizer and generation defaults ({@code generation_config.json}).
 */
@Extension
public final class CausalLmPreset implements Preset {

    private final Registry registry;

    @Inject
    public CausalLmPreset(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Document> document(Path dir, JsonObject config, JsonObject modelIndex) {
        String modelType = config != null && config.has("model_type") ? config.get("model_type").getAsString() : "";
        RegisteredComponent llm = registry.forCheckpointClass(Role.LANGUAGE_MODEL, modelType);
        if (llm == null) {
            return Optional.empty();
        }
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("task", "text");
        y.put("checkpoint", Presets.checkpoint(dir));
        y.put("llm", Map.of("type", llm.type()));
        y.put("tokenizer", Map.of("type", "hf_tokenizer"));
        return Optional.of(Presets.document(dir, y, List.of("preset for a " + modelType + " causal LM; generation "
                + "settings from generation_config.json (add a 'generation:' section to change them)")));
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
