package org.mix4j.pipelines.task;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.EnvExpander;
import org.mix4j.config.YamlLoader;

/**
 * A parsed pipeline YAML: the task, the checkpoint, one {@link ComponentSpec} per component slot,
 * and the task's settings record. Parsing checks the structure; {@link #validate} also resolves
 * every component type in the registry and binds its config.
 *
 * @param file the YAML file (for messages), or a description
 * @param checkpoint checkpoint directory, resolved against the YAML's directory; {@code null} if none
 * @param dtype {@code float32} (default) or {@code float16} ({@link org.mix4j.tensor.ComputeTypes})
 * @param device where the pipeline computes ({@link PipelineDevice}): the CPU unless {@code device:}
 *     names a GPU the engine reports
 * @param root the whole document, for settings bound later against checkpoint files
 */
public record PipelineConfig(String file, TaskSchema schema, Path checkpoint, String dtype, Device device,
        Map<String, ComponentSpec> components, Record settings, MapNode root) {

    public static PipelineConfig load(Path file) {
        return load(file, EnvExpander.system());
    }

    /** Loads {@code file} with {@code overrides} (command-line flags, API calls) in place before binding. */
    public static PipelineConfig load(Path file, ConfigOverrides overrides) {
        return load(file, EnvExpander.system(), overrides);
    }

    public static PipelineConfig load(Path file, EnvExpander env) {
        return load(file, env, new ConfigOverrides());
    }

    private static PipelineConfig load(Path file, EnvExpander env, ConfigOverrides overrides) {
        MapNode root = overrides.applyTo(new YamlLoader(env).load(file));
        Path base = file.toAbsolutePath().getParent();
        return parse(root, file.toString(), base);
    }

    /** Parses a document already read; relative checkpoint paths resolve against {@code baseDir}. */
    public static PipelineConfig parse(MapNode root, String fileName, Path baseDir) {
        ConfigNode taskNode = root.get("task");
        if (!(taskNode instanceof Scalar ts) || ts.value() == null) {
            throw new ConfigException(taskNode != null ? taskNode.origin() : root.origin(), "task", "missing required key",
                    Tasks.ALL.stream().map(TaskSchema::task).toList());
        }
        TaskSchema schema = Tasks.find(String.valueOf(ts.value()));
        if (schema == null) {
            throw new ConfigException(fileName, ts.origin().line(), ts.origin().column(), "task",
                    "unknown task '" + ts.value() + "'", Tasks.ALL.stream().map(TaskSchema::task).toList());
        }
        List<String> keys = schema.keys();
        for (String key : root.entries().keySet()) {
            if (!keys.contains(key)) {
                Origin o = root.keyOrigin(key);
                throw new ConfigException(o.file(), o.line(), o.column(), key, "unknown key for task '"
                        + schema.task() + "'", keys);
            }
        }
        Map<String, ComponentSpec> components = new LinkedHashMap<>();
        for (String slot : schema.slots().keySet()) {
            ConfigNode n = root.get(slot);
            if (n != null && !(n instanceof Scalar s && s.value() == null)) {
                components.put(slot, ComponentSpec.parse(slot, n));
            } else if (schema.required().contains(slot)) {
                throw new ConfigException(root.origin(), slot, "missing required component for task '"
                        + schema.task() + "'", null);
            }
        }
        Path checkpoint = null;
        if (root.get("checkpoint") instanceof Scalar c && c.value() != null) {
            Path p = Path.of(String.valueOf(c.value()));
            checkpoint = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
        }
        String dtype = text(root, "dtype", "float32");
        if (!org.mix4j.tensor.ComputeTypes.NAMES.contains(dtype)) {
            Origin o = root.get("dtype").origin();
            throw new ConfigException(o.file(), o.line(), o.column(), "dtype", org.mix4j.tensor.ComputeTypes.problem(dtype),
                    org.mix4j.tensor.ComputeTypes.NAMES);
        }
        Device device = PipelineDevice.parse(root.get("device"));
        Set<String> notSettings = new java.util.HashSet<>(TaskSchema.COMMON_KEYS);
        notSettings.addAll(schema.slots().keySet());
        MapNode settingsNode = root.without(notSettings);
        Record settings = ConfigBinder.bind(schema.settingsType(), settingsNode, null, "", Set.of());
        return new PipelineConfig(fileName, schema, checkpoint, dtype, device, components, settings, root);
    }

    /** The raw {@code key:} section of the document, or {@code null}. */
    public MapNode section(String key) {
        return root.get(key) instanceof MapNode m ? m : null;
    }

    /** The DJL type of {@link #dtype()}. */
    public ai.djl.ndarray.types.DataType dataType() {
        return org.mix4j.tensor.ComputeTypes.parse(dtype);
    }

    public String task() {
        return schema.task();
    }

    /** The section for {@code slot}, or {@code null}. */
    public ComponentSpec component(String slot) {
        return components.get(slot);
    }

    @SuppressWarnings("unchecked")
    public <S extends Record> S settings(Class<S> type) {
        return (S) settings;
    }

    /** Outcome of {@link #validate}: problems that stop a run, and things worth knowing. */
    public record Validation(List<ConfigException> errors, List<String> warnings) {
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /**
     * Resolves every component type and binds its config against the checkpoint's config files,
     * collecting the errors of every component rather than stopping at the first.
     */
    public Validation validate(ComponentLoader loader) {
        List<String> warnings = new ArrayList<>();
        List<ConfigException> errors = new ArrayList<>();
        Path ckpt = checkpoint;
        if (ckpt != null && !Files.exists(ckpt)) {
            warnings.add(file + ": checkpoint " + ckpt + " does not exist here; values its config files would "
                    + "supply were not checked");
            ckpt = null;
        }
        for (Map.Entry<String, ComponentSpec> e : components.entrySet()) {
            ComponentSpec spec = e.getValue();
            try {
                if (ckpt == null && spec.weights() == null && spec.config() == null) {
                    loader.checkKeys(spec, schema.slots().get(e.getKey()));
                } else {
                    loader.bindConfig(spec, schema.slots().get(e.getKey()), ckpt);
                }
            } catch (ConfigException ce) {
                errors.add(ce);
            }
        }
        return new Validation(List.copyOf(errors), List.copyOf(warnings));
    }

    private static String text(MapNode root, String key, String fallback) {
        ConfigNode n = root.get(key);
        return n instanceof Scalar s && s.value() != null ? String.valueOf(s.value()) : fallback;
    }
}
