package org.mix4j.pipelines.task;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlWriter;
import org.mix4j.registry.Registry;

/**
 * Finds the preset for a checkpoint directory among the registered {@link Preset}s. Every command
 * that takes {@code --model DIR} goes through here, so they build the same pipeline.
 */
public final class Presets {

    private Presets() {}

    /** The document of the first preset that knows {@code dir}; an error says what was found otherwise. */
    public static Preset.Document document(Registry registry, Path dir) {
        Origin where = Origin.of(dir.toString());
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(where, "", Files.isRegularFile(dir)
                    ? "is a file; --model needs a checkpoint directory holding config.json and *.safetensors"
                    : "--model needs a checkpoint directory", null);
        }
        JsonObject config = Files.isRegularFile(dir.resolve("config.json")) ? JsonConfig.read(dir.resolve("config.json")) : null;
        JsonObject index = Files.isRegularFile(dir.resolve("model_index.json"))
                ? JsonConfig.read(dir.resolve("model_index.json")) : null;
        if (config == null && index == null) {
            throw new ConfigException(where, "", "no config.json or model_index.json in this directory", null);
        }
        for (Preset p : registry.extensions(Preset.class)) {
            Optional<Preset.Document> document = p.document(dir, config, index);
            if (document.isPresent()) {
                return document.get();
            }
        }
        List<String> seen = new ArrayList<>();
        JsonElement architectures = config == null ? null : config.get("architectures");
        if (architectures != null && architectures.isJsonArray()) {
            architectures.getAsJsonArray().forEach(e -> seen.add(e.getAsString()));
        }
        if (config != null && config.has("model_type")) {
            seen.add("model_type " + config.get("model_type").getAsString());
        }
        if (index != null && index.has("_class_name")) {
            seen.add(index.get("_class_name").getAsString());
        }
        throw new ConfigException(where, "", "no preset for this checkpoint (" + String.join(", ", seen)
                + "); write a pipeline YAML instead", null);
    }

    /** The pipeline for {@code dir} with {@code overrides} in place, parsed. */
    public static PipelineConfig config(Registry registry, Path dir, ConfigOverrides overrides) {
        return parse(document(registry, dir), dir, overrides);
    }

    /** Parses a preset's document for {@code dir} with {@code overrides} in place. */
    public static PipelineConfig parse(Preset.Document document, Path dir, ConfigOverrides overrides) {
        return PipelineConfig.parse(overrides.applyTo(document.root()), name(dir), dir.toAbsolutePath().getParent());
    }

    /** The YAML {@code --print-config} prints: the document with {@code overrides}, reading back to the same tree. */
    public static String yaml(Preset.Document document, ConfigOverrides overrides) {
        return YamlWriter.write(overrides.applyTo(document.root()), document.comments());
    }

    /**
     * A document for {@code dir} from plain values (maps, lists, strings, numbers) in key order.
     *
     * @param comments the first says what the preset is for
     */
    public static Preset.Document document(Path dir, Map<String, Object> values, List<String> comments) {
        return new Preset.Document((MapNode) ConfigNode.fromJava(values, Origin.of(name(dir))), comments);
    }

    /** The checkpoint path a preset writes. */
    public static String checkpoint(Path dir) {
        return dir.toAbsolutePath().normalize().toString();
    }

    private static String name(Path dir) {
        return "preset for " + dir;
    }
}
