package org.mix4j.pipelines.generation;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.Tasks;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;

/**
 * A diffusers Stable Diffusion folder ({@code model_index.json} naming each component's class,
 * one sub-folder per component) as a {@code task: generation} document: each class mapped to the
 * registered type whose factory declares it ({@link Registry#forCheckpointClass}), the scheduler's
 * from {@code scheduler/scheduler_config.json} {@code _class_name}. Architecture values stay in the
 * folders' config files; settings are the {@link org.mix4j.pipelines.task.DiffusionSettings}
 * defaults unless overridden.
 */
public final class DiffusersLayout {

    /** Pipeline classes whose components this layout maps (same components, other loops). */
    public static final Set<String> PIPELINES = Set.of("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline",
            "StableDiffusionPanoramaPipeline", "StableDiffusionControlNetPipeline");

    private DiffusersLayout() {}

    /**
     * The pipeline for {@code dir}, or empty when its {@code model_index.json} is not a Stable
     * Diffusion pipeline.
     *
     * @param tokenizer a tokenizer folder to use instead of the checkpoint's, or {@code null}
     */
    public static Optional<Preset.Document> document(Path dir, JsonObject modelIndex, Registry registry,
            Path tokenizer) {
        String pipeline = modelIndex == null ? null : string(modelIndex.get("_class_name"));
        if (pipeline == null || !PIPELINES.contains(pipeline)) {
            return Optional.empty();
        }
        List<String> comments = new ArrayList<>();
        comments.add("preset for " + pipeline + " (diffusers folder)");
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("task", "generation");
        y.put("checkpoint", Presets.checkpoint(dir));
        y.put("text_encoder", section(registry, Role.TEXT_ENCODER, modelIndex, "weights", "text_encoder"));
        if (tokenizer != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("type", "clip_bpe");
            t.put("path", tokenizer.toAbsolutePath().normalize().toString());
            y.put("tokenizer", t);
        } else if (className(modelIndex, "tokenizer") != null) {
            y.put("tokenizer", section(registry, Role.TOKENIZER, modelIndex, "path", "tokenizer"));
        } else {
            comments.add("tokenizer: none in this folder; add one, e.g. { type: clip_bpe, path: /path/to/tokenizer }");
        }
        y.put("denoiser", section(registry, Role.DENOISER, modelIndex, "weights", "unet"));
        if (className(modelIndex, "controlnet") != null) {
            y.put("controlnet", section(registry, Role.CONTROLNET, modelIndex, "weights", "controlnet"));
        }
        y.put("vae", section(registry, Role.AUTOENCODER, modelIndex, "weights", "vae"));
        y.put("scheduler", scheduler(dir, registry, comments));
        return Optional.of(Presets.document(dir, y, comments));
    }

    /**
     * The document for {@code dir} as YAML text with {@code overrides} in place (what
     * {@code --print-config} prints), or empty when it is not a Stable Diffusion folder.
     */
    public static Optional<String> yaml(Path dir, JsonObject modelIndex, Registry registry, Path tokenizer,
            ConfigOverrides overrides) {
        return document(dir, modelIndex, registry, tokenizer)
                .map(d -> Presets.yaml(d, overrides != null ? overrides : new ConfigOverrides()));
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

    private static Map<String, Object> section(Registry registry, Role role, JsonObject modelIndex, String key,
            String folder) {
        String cls = className(modelIndex, folder);
        if (cls == null) {
            throw new IllegalArgumentException("model_index.json names no '" + folder + "' component");
        }
        RegisteredComponent c = registry.forCheckpointClass(role, cls);
        if (c == null) {
            throw new IllegalArgumentException("model_index.json: " + folder + " is a " + cls + ", which mix4j does not "
                    + "implement; supported: " + registry.checkpointClasses(role));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", c.type());
        m.put(key, folder);
        return m;
    }

    /** The scheduler type reproducing the folder's scheduler class; DDIM for classes mix4j lacks (PNDM). */
    private static Map<String, Object> scheduler(Path dir, Registry registry, List<String> comments) {
        Path config = dir.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException(config + " does not exist: a diffusers folder keeps its scheduler there");
        }
        String cls = string(JsonConfig.read(config).get("_class_name"));
        RegisteredComponent c = registry.forCheckpointClass(Role.SCHEDULER, cls);
        if (c == null) {
            comments.add(cls + " is not implemented here; ddim runs the same training schedule");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", c != null ? c.type() : "ddim");
        m.put("weights", "scheduler");
        return m;
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
