package org.mix4j.pipelines.task;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mix4j.config.ConfigException;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.JsonConfig;
import org.mix4j.config.YamlLoader;
import org.mix4j.registry.Registry;

/** Finds the preset for a checkpoint directory among the registered {@link Preset}s. */
public final class Presets {

    private Presets() {}

    /** The YAML of the first preset that knows {@code dir}; an error says what was found otherwise. */
    public static String yaml(Registry registry, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(dir.toString(), 0, 0, "", "--model needs a checkpoint directory", null);
        }
        JsonObject config = Files.isRegularFile(dir.resolve("config.json")) ? JsonConfig.read(dir.resolve("config.json")) : null;
        JsonObject index = Files.isRegularFile(dir.resolve("model_index.json"))
                ? JsonConfig.read(dir.resolve("model_index.json")) : null;
        if (config == null && index == null) {
            throw new ConfigException(dir.toString(), 0, 0, "", "no config.json or model_index.json in this directory", null);
        }
        for (Preset p : registry.extensions(Preset.class)) {
            Optional<String> yaml = p.yaml(dir, config, index);
            if (yaml.isPresent()) {
                return yaml.get();
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
        throw new ConfigException(dir.toString(), 0, 0, "", "no preset for this checkpoint (" + String.join(", ", seen)
                + "); write a pipeline YAML instead", null);
    }

    /** Parses preset YAML for {@code dir}. */
    public static PipelineConfig parse(String yaml, Path dir) {
        var root = new YamlLoader(EnvExpander.system()).load(new StringReader(yaml), "preset for " + dir);
        return PipelineConfig.parse(root, "preset for " + dir, dir.toAbsolutePath().getParent());
    }

    /** A YAML string literal. */
    public static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
