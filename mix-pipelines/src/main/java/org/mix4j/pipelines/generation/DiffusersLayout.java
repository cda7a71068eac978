package org.mix4j.pipelines.generation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.registry.Registry;

/**
 * A diffusers Stable Diffusion folder ({@code model_index.json} naming each component's class,
 * one sub-folder per component) as {@code task: generation} YAML: each class mapped to the mix4j
 * type that reproduces it, the scheduler's type from {@code scheduler/scheduler_config.json}
 * {@code _class_name}. Architecture values stay in the folders' config files.
 */
public final class DiffusersLayout {

    /** Pipeline classes whose components this layout maps (same components, other loops). */
    public static final Set<String> PIPELINES = Set.of("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline",
            "StableDiffusionPanoramaPipeline", "StableDiffusionControlNetPipeline");

    private static final Map<String, String> TYPES = Map.of(
            "CLIPTextModel", "clip_text",
            "CLIPTextModelWithProjection", "clip_text",
            "CLIPTokenizer", "clip_bpe",
            "CLIPTokenizerFast", "clip_bpe",
            "UNet2DConditionModel", "unet2d_condition",
            "AutoencoderKL", "autoencoder_kl",
            "ControlNetModel", "controlnet");

    private DiffusersLayout() {}

    /**
     * The pipeline YAML for {@code dir}, or empty when its {@code model_index.json} is not a Stable
     * Diffusion pipeline.
     *
     * @param tokenizer a tokenizer folder to use instead of the checkpoint's, or {@code null}
     * @param settings top-level settings as YAML text by key ({@code num_inference_steps: "25"});
     *     {@code null} for diffusers' defaults (50 steps, guidance 7.5)
     */
    public static Optional<String> yaml(Path dir, JsonObject modelIndex, Registry registry, Path tokenizer,
            Map<String, String> settings) {
        String pipeline = modelIndex == null ? null : string(modelIndex.get("_class_name"));
        if (pipeline == null || !PIPELINES.contains(pipeline)) {
            return Optional.empty();
        }
        StringBuilder y = new StringBuilder();
        y.append("# preset for ").append(pipeline).append(" (diffusers folder)\n");
        y.append("task: generation\n");
        y.append("checkpoint: ").append(Presets.quote(dir.toAbsolutePath().normalize().toString())).append('\n');
        section(y, "text_encoder", modelIndex, "weights", "text_encoder");
        if (tokenizer != null) {
            y.append("tokenizer:    { type: clip_bpe, path: ")
                    .append(Presets.quote(tokenizer.toAbsolutePath().normalize().toString())).append(" }\n");
        } else if (className(modelIndex, "tokenizer") != null) {
            section(y, "tokenizer", modelIndex, "path", "tokenizer");
        } else {
            y.append("# tokenizer: none in this folder; add one, e.g. { type: clip_bpe, path: /path/to/tokenizer }\n");
        }
        section(y, "denoiser", modelIndex, "weights", "unet");
        if (className(modelIndex, "controlnet") != null) {
            section(y, "controlnet", modelIndex, "weights", "controlnet");
        }
        section(y, "vae", modelIndex, "weights", "vae");
        y.append(schedulerSection(dir, registry));
        Map<String, String> values = settings != null ? settings : defaultSettings();
        values.forEach((key, value) -> y.append(key).append(": ").append(value).append('\n'));
        return Optional.of(y.toString());
    }

    /** diffusers' defaults: 50 steps, guidance 7.5. */
    public static Map<String, String> defaultSettings() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("num_inference_steps", "50");
        values.put("guidance_scale", "7.5");
        return values;
    }

    /** The component sections of pipeline YAML by slot, without the task's required-slot checks. */
    public static Map<String, ComponentSpec> sections(String yaml, String name) {
        MapNode root = new YamlLoader().load(new StringReader(yaml), name);
        Map<String, ComponentSpec> sections = new LinkedHashMap<>();
        for (String slot : Tasks.GENERATION.slots().keySet()) {
            ConfigNode node = root.get(slot);
            if (node != null && !(node instanceof Scalar s && s.value() == null)) {
                sections.put(slot, ComponentSpec.parse(slot, node));
            }
        }
        return sections;
    }

    /** The {@code model_index.json} of {@code dir}, or {@code null} when it has none. */
    public static JsonObject modelIndex(Path dir) {
        Path file = dir.resolve("model_index.json");
        return Files.isRegularFile(file) ? JsonConfig.read(file) : null;
    }

    private static void section(StringBuilder y, String slot, JsonObject modelIndex, String key, String folder) {
        String cls = className(modelIndex, folder);
        if (cls == null) {
            throw new IllegalArgumentException("model_index.json names no '" + folder + "' component");
        }
        String type = TYPES.get(cls);
        if (type == null) {
            throw new IllegalArgumentException("model_index.json: " + folder + " is a " + cls + ", which mix4j does not "
                    + "implement; supported: " + TYPES.keySet());
        }
        y.append(String.format("%-13s { type: %s, %s: %s }%n", slot + ":", type, key, folder));
    }

    /** The scheduler type reproducing the folder's scheduler class; DDIM for classes mix4j lacks (PNDM). */
    private static String schedulerSection(Path dir, Registry registry) {
        Path config = dir.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException(config + " does not exist: a diffusers folder keeps its scheduler there");
        }
        String cls = string(JsonConfig.read(config).get("_class_name"));
        try {
            String type = registry.typeReproducing(Role.SCHEDULER, cls);
            return "scheduler:    { type: " + type + ", weights: scheduler }\n";
        } catch (IllegalArgumentException e) {
            return "# " + cls + " is not implemented here; ddim runs the same training schedule\n"
                    + "scheduler:    { type: ddim, weights: scheduler }\n";
        }
    }

    /** The class of a {@code model_index.json} entry {@code ["library", "Class"]}, or {@code null}. */
    private static String className(JsonObject modelIndex, String key) {
        JsonElement e = modelIndex.get(key);
        if (e == null || !e.isJsonArray()) {
            return null;
        }
        JsonArray pair = e.getAsJsonArray();
        return pair.size() == 2 ? string(pair.get(1)) : null;
    }

    private static String string(JsonElement e) {
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsString();
    }
}
