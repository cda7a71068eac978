package org.mix4j.pipelines.understanding;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mix4j.api.Role;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import org.pf4j.Extension;

/**
 * Pipelines for llava-hf checkpoints: LLaVA-1.5 ({@code LlavaForConditionalGeneration}),
 * LLaVA-NeXT ({@code LlavaNextForConditionalGeneration}, anyres tiling) and LLaVA-OneVision
 * (anyres with its {@code anyres_max_N} reduction). Architecture values come from
 * {@code config.json} through each component's own defaults; the preset only names the parts and
 * where their tensors live.
 */
@Extension
public final class LlavaPreset implements Preset {

    private static final Set<String> TILED = Set.of("LlavaNextForConditionalGeneration",
            "LlavaOnevisionForConditionalGeneration");
    private static final Set<String> ALL = Set.of("LlavaForConditionalGeneration", "LlavaNextForConditionalGeneration",
            "LlavaOnevisionForConditionalGeneration");

    private final Registry registry;

    @Inject
    public LlavaPreset(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Document> document(Path dir, JsonObject config, JsonObject modelIndex) {
        String architecture = architecture(config);
        if (architecture == null || !ALL.contains(architecture)) {
            return Optional.empty();
        }
        // transformers' LlavaConfig defaults: a CLIP vision tower and a LLaMA decoder
        JsonObject vision = JsonConfig.child(config, "vision_config");
        JsonObject text = JsonConfig.child(config, "text_config");
        String encoder = type(Role.VISION_ENCODER, vision == null ? "clip_vision_model"
                : string(vision, "model_type", "clip_vision_model"), "vision_config.model_type");
        String llm = type(Role.LANGUAGE_MODEL, text == null ? "llama" : string(text, "model_type", "llama"),
                "text_config.model_type");
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("task", "understanding");
        y.put("checkpoint", Presets.checkpoint(dir));
        y.put("image_processor", Map.of("type", "hf_image_processor"));
        if (TILED.contains(architecture)) {
            y.put("tiling", Map.of("type", "anyres"));
        }
        y.put("encoder", section(encoder, "vision_tower."));
        y.put("connector", section("mlp", "multi_modal_projector."));
        y.put("llm", section(llm, "language_model."));
        y.put("tokenizer", Map.of("type", "hf_tokenizer"));
        Map<String, Object> generation = new LinkedHashMap<>();
        generation.put("max_new_tokens", 256);
        generation.put("temperature", 0);
        y.put("generation", generation);
        return Optional.of(Presets.document(dir, y, List.of("preset for " + architecture,
                "architecture values (grid_pinpoints, tile_size, feature_layer, select, ...) come from config.json")));
    }

    /** The registered type whose factory declares {@code name}. */
    private String type(Role role, String name, String key) {
        RegisteredComponent c = registry.forCheckpointClass(role, name);
        if (c == null) {
            throw new IllegalArgumentException("config.json " + key + " '" + name + "': no " + role.displayName()
                    + " type declares it; known: " + registry.checkpointClasses(role));
        }
        return c.type();
    }

    private static Map<String, Object> section(String type, String weightsPrefix) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("weights_prefix", weightsPrefix);
        return m;
    }

    private static String architecture(JsonObject config) {
        if (config == null) {
            return null;
        }
        JsonElement a = config.get("architectures");
        if (a != null && a.isJsonArray() && !a.getAsJsonArray().isEmpty()) {
            return a.getAsJsonArray().get(0).getAsString();
        }
        return switch (string(config, "model_type", "")) {
            case "llava" -> "LlavaForConditionalGeneration";
            case "llava_next" -> "LlavaNextForConditionalGeneration";
            case "llava_onevision" -> "LlavaOnevisionForConditionalGeneration";
            default -> null;
        };
    }

    private static String string(JsonObject o, String key, String fallback) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : fallback;
    }
}
