package org.mix4j.cli;

import java.nio.file.Path;
import java.util.function.Function;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.registry.Registry;

/**
 * The one way a command turns its arguments into a pipeline: the document (a YAML file, or the
 * preset for {@code --model DIR}), the setting flags as {@link ConfigOverrides} of that document,
 * then binding. Defaults and checks are the settings records'; an error about a flag's value names
 * the flag.
 */
final class SettingFlags {

    private SettingFlags() {}

    /** {@code generation:} flags of text output (run, chat). */
    static ConfigOverrides decoding(Integer maxNewTokens, Double temperature, Long seed) {
        return new ConfigOverrides()
                .set("generation.max_new_tokens", maxNewTokens, "--max-new-tokens")
                .set("generation.temperature", temperature, "--temperature")
                // a temperature on the command line means sampling (or greedy at 0), whatever do_sample said
                .set("generation.do_sample", temperature == null ? null : temperature > 0, "--temperature")
                .set("generation.seed", seed, "--seed");
    }

    /**
     * The pipeline of a YAML file or of {@code --model DIR}'s preset, with the overrides the
     * document's task takes.
     *
     * @param overrides the flags' overrides for a task
     */
    static PipelineConfig config(Registry registry, Path yaml, Path model, Function<String, ConfigOverrides> overrides) {
        if (model != null) {
            Preset.Document document = Presets.document(registry, model);
            return Presets.parse(document, model, overrides.apply(task(document.root())));
        }
        MapNode root = new YamlLoader().load(yaml);
        return PipelineConfig.parse(overrides.apply(task(root)).applyTo(root), yaml.toString(),
                yaml.toAbsolutePath().getParent());
    }

    /** The document's {@code task:}, or "" (parsing reports it). */
    static String task(MapNode root) {
        return root.get("task") instanceof Scalar s && s.value() != null ? String.valueOf(s.value()) : "";
    }

    /** A flag given for a task it does not apply to. */
    static ConfigException notFor(String flag, String task, String applies) {
        return new ConfigException(Origin.of(flag), "", "applies to " + applies + ", not to task '" + task + "'", null);
    }
}
