package org.mix4j.pipelines.understanding;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.mix4j.config.JsonConfig;
import org.mix4j.pipelines.task.Preset;
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

    @Override
    public Optional<String> yaml(Path dir, JsonObject config, JsonObject modelIndex) {
        String architecture = architecture(config);
        if (architecture == null || !ALL.contains(architecture)) {
            return Optional.empty();
        }
        JsonObject vision = JsonConfig.child(config, "vision_config");
        JsonObject text = JsonConfig.child(config, "text_config");
        String encoder = vision != null && string(vision, "model_type", "").startsWith("siglip") ? "siglip_vision"
                : "clip_vision";
        String llm = text == null ? "llama" : string(text, "model_type", "llama");
        StringBuilder y = new StringBuilder();
        y.append("# preset for ").append(architecture).append('\n');
        y.append("task: understanding\n");
        y.append("checkpoint: ").append(org.mix4j.pipelines.task.Presets.quote(dir.toAbsolutePath().normalize().toString()))
                .append('\n');
        y.append("image_processor: { type: hf_image_processor }\n");
        if (TILED.contains(architecture)) {
            y.append("tiling:    { type: anyres }           # grid_pinpoints, tile_size from config.json\n");
        }
        y.append("encoder:   { type: ").append(encoder)
                .append(", weights_prefix: vision_tower. }   # feature_layer, select from config.json\n");
        y.append("connector: { type: mlp, weights_prefix: multi_modal_projector. }\n");
        y.append("llm:       { type: ").append(llm).append(", weights_prefix: language_model. }\n");
        y.append("tokenizer: { type: hf_tokenizer }\n");
        y.append("generation: { max_new_tokens: 256, temperature: 0 }\n");
        return Optional.of(y.toString());
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
