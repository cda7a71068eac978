package org.mix4j.pipelines;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.registry.Registry;

/**
 * Where a Java program gets a {@link PipelineConfig}: from a YAML file, from a checkpoint folder
 * (the preset {@code mix run --model} uses), or from a {@link Builder} that assembles the same YAML
 * tree in code. All three go through {@link PipelineConfig#parse}, so a built config is checked
 * exactly like a file. Each pipeline then loads from the config (docs/java-api.md):
 * {@code UnderstandingPipeline.load}, {@code TextPipeline.load}, {@code GenerationComponents.load}
 * with {@code StableDiffusionPipeline}, {@code RetrievalPipeline.load}.
 */
public final class Pipelines {

    private Pipelines() {}

    /** A pipeline YAML file; {@code ${VAR}} expands from the environment, relative paths from its folder. */
    public static PipelineConfig fromYaml(Path file) {
        return PipelineConfig.load(file);
    }

    /** The preset for a Hugging Face or diffusers checkpoint folder (its {@code config.json} / {@code model_index.json}). */
    public static PipelineConfig fromCheckpoint(Registry registry, Path dir) {
        return Presets.config(registry, dir, new ConfigOverrides());
    }

    /** A pipeline of {@code task} ({@code understanding}, {@code text}, {@code generation}, {@code retrieval}) built in code. */
    public static Builder builder(String task) {
        return new Builder(task);
    }

    /**
     * The YAML document of a pipeline, key by key: {@code component(slot, type, keys)} is the
     * section {@code slot: {type: ..., keys...}}, {@code set(key, value)} any other top-level key
     * (maps and lists nest as in YAML). Relative paths in sections resolve against the checkpoint.
     */
    public static final class Builder {

        private final String task;
        private final Map<String, Object> root = new LinkedHashMap<>();

        private Builder(String task) {
            this.task = task;
            root.put("task", task);
        }

        public Builder checkpoint(Path dir) {
            root.put("checkpoint", dir.toAbsolutePath().normalize().toString());
            return this;
        }

        public Builder component(String slot, String type) {
            return component(slot, type, Map.of());
        }

        public Builder component(String slot, String type, Map<String, ?> keys) {
            Map<String, Object> section = new LinkedHashMap<>();
            section.put("type", type);
            keys.forEach((k, v) -> section.put(k, plain(v)));
            root.put(slot, section);
            return this;
        }

        public Builder set(String key, Object value) {
            root.put(key, plain(value));
            return this;
        }

        /** YAML has no paths: a {@link Path} (also inside maps and lists) becomes its text. */
        private static Object plain(Object value) {
            if (value instanceof Path p) {
                return p.toString();
            }
            if (value instanceof Map<?, ?> m) {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(k, plain(v)));
                return out;
            }
            return value instanceof java.util.List<?> l ? l.stream().map(Builder::plain).toList() : value;
        }

        /** The document as {@link PipelineConfig#parse} reads it. */
        public MapNode tree() {
            return (MapNode) ConfigNode.fromJava(root, ConfigNode.Origin.of(description()));
        }

        /** The parsed config; unknown keys and missing components fail as they do in a file. */
        public PipelineConfig build() {
            return PipelineConfig.parse(tree(), description(), null);
        }

        private String description() {
            return "Pipelines.builder(\"" + task + "\")";
        }
    }
}
