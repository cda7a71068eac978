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
        List<ConfigException> problems = new ArrayList<>();
        PipelineConfig config = parse(root, fileName, baseDir, problems);
        if (!problems.isEmpty()) {
            throw problems.get(0);
        }
        return config;
    }

    /**
     * Reads {@code file} and reports every problem: its structure (unknown top-level keys, missing
     * components, dtype, device, settings), each component's keys, and whether the components' widths
     * fit ({@link Compatibility}). A malformed file or an unknown task still throws.
     */
    public static Validation check(Path file, ComponentLoader loader) {
        MapNode root = new YamlLoader(EnvExpander.system()).load(file);
        return check(root, file.toString(), file.toAbsolutePath().getParent(), loader);
    }

    /** {@link #check(Path, ComponentLoader)} of a document already read. */
    public static Validation check(MapNode root, String fileName, Path baseDir, ComponentLoader loader) {
        List<ConfigException> structure = new ArrayList<>();
        PipelineConfig config = parse(root, fileName, baseDir, structure);
        Validation components = config.validate(loader);
        List<ConfigException> errors = new ArrayList<>(structure);
        errors.addAll(components.errors());
        return new Validation(config, List.copyOf(errors), components.warnings());
    }

    /**
     * Parses, adding each structural problem to {@code problems} and going on where it can; only a
     * missing or unknown task stops it (thrown). Settings are {@code null} when they failed to bind.
     */
    private static PipelineConfig parse(MapNode root, String fileName, Path baseDir, List<ConfigException> problems) {
        TaskSchema schema = schema(root, fileName);
        List<String> keys = schema.keys();
        Set<String> unknown = new java.util.HashSet<>();
        for (String key : root.entries().keySet()) {
            if (!keys.contains(key)) {
                unknown.add(key);
                problems.add(new ConfigException(root.keyOrigin(key), key, "unknown key for task '" + schema.task() + "'",
                        keys));
            }
        }
        Map<String, ComponentSpec> components = new LinkedHashMap<>();
        for (String slot : schema.slots().keySet()) {
            ConfigNode n = root.get(slot);
            if (n != null && !(n instanceof Scalar s && s.value() == null)) {
                try {
                    components.put(slot, ComponentSpec.parse(slot, n));
                } catch (ConfigException e) {
                    problems.add(e);
                }
            } else if (schema.required().contains(slot)) {
                problems.add(new ConfigException(root.origin(), slot, "missing required component for task '"
                        + schema.task() + "'", null));
            }
        }
        Path checkpoint = null;
        if (root.get("checkpoint") instanceof Scalar c && c.value() != null) {
            Path p = Path.of(String.valueOf(c.value()));
            checkpoint = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
            if (Files.isRegularFile(checkpoint)) {
                // sections resolve their weights, config and tokenizer paths against this folder
                problems.add(new ConfigException(c.origin(), "checkpoint", checkpoint + " is a file; a checkpoint "
                        + "is a directory holding config.json and *.safetensors (a single .safetensors file goes in "
                        + "a section's 'weights:')", null));
            }
        }
        if (checkpoint == null && baseDir != null) { // no checkpoint: sections name files next to the YAML
            components.replaceAll((slot, spec) -> spec.resolvedAgainst(baseDir));
        }
        String dtype = text(root, "dtype", "float32");
        if (!org.mix4j.tensor.ComputeTypes.NAMES.contains(dtype)) {
            problems.add(new ConfigException(root.get("dtype").origin(), "dtype",
                    org.mix4j.tensor.ComputeTypes.problem(dtype), org.mix4j.tensor.ComputeTypes.NAMES));
            dtype = "float32";
        }
        try { // pipeline-wide quantize: the default of every section that does not say
            org.mix4j.compose.Quantize quantize = org.mix4j.compose.Quantize.parse(root, "quantize", "quantize");
            components.replaceAll((slot, spec) -> spec.withDefaultQuantize(quantize));
        } catch (ConfigException e) {
            problems.add(e);
        }
        Device device = Device.cpu();
        try {
            device = PipelineDevice.parse(root.get("device"));
        } catch (ConfigException e) {
            problems.add(e);
        }
        Set<String> notSettings = new java.util.HashSet<>(TaskSchema.COMMON_KEYS);
        notSettings.addAll(schema.slots().keySet());
        notSettings.addAll(unknown);
        Record settings = null;
        try {
            settings = ConfigBinder.bind(schema.settingsType(), root.without(notSettings), null, "", Set.of());
        } catch (ConfigException e) {
            problems.add(e);
        }
        return new PipelineConfig(fileName, schema, checkpoint, dtype, device, components, settings, root);
    }

    private static TaskSchema schema(MapNode root, String fileName) {
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
        return schema;
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

    /**
     * Outcome of {@link #validate} or {@link #check}: problems that stop a run, and things worth knowing.
     *
     * @param config what was parsed (its settings may be {@code null} when they are among the errors)
     */
    public record Validation(PipelineConfig config, List<ConfigException> errors, List<String> warnings) {
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /**
     * Resolves every component type and binds its config against the checkpoint's config files,
     * collecting the errors of every component rather than stopping at the first, then checks that
     * the bound components' widths fit one another ({@link Compatibility}).
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
        Map<String, Map<String, Long>> dimensions = new LinkedHashMap<>();
        for (Map.Entry<String, ComponentSpec> e : components.entrySet()) {
            ComponentSpec spec = e.getValue();
            org.mix4j.api.Role role = schema.slots().get(e.getKey());
            try {
                Record bound;
                if (ckpt == null && spec.weights() == null && spec.config() == null) {
                    loader.checkKeys(spec, role);
                    bound = spec.init() == ComponentSpec.Init.RANDOM ? bindQuietly(loader, spec, role) : null;
                } else {
                    bound = loader.bindConfig(spec, role, ckpt);
                }
                if (bound != null && widthsAreReal(spec, ckpt)) {
                    dimensions.put(e.getKey(), loader.dimensions(spec, role, bound, ckpt));
                }
            } catch (ConfigException ce) {
                errors.add(ce);
            }
        }
        errors.addAll(Compatibility.check(this, dimensions));
        return new Validation(this, List.copyOf(errors), List.copyOf(warnings));
    }

    /**
     * Whether a bound config holds the widths a run would build: not when class defaults stand in
     * for a checkpoint config that is not here (only a random component is built from the YAML alone).
     */
    private static boolean widthsAreReal(ComponentSpec spec, Path checkpoint) {
        return checkpoint != null || spec.config() != null || spec.init() == ComponentSpec.Init.RANDOM
                || spec.weights() != null && Path.of(spec.weights()).isAbsolute();
    }

    /** The config bound from the YAML alone, or {@code null} when it needs values a checkpoint would give. */
    private static Record bindQuietly(ComponentLoader loader, ComponentSpec spec, org.mix4j.api.Role role) {
        try {
            return loader.bindConfig(spec, role, null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String text(MapNode root, String key, String fallback) {
        ConfigNode n = root.get(key);
        return n instanceof Scalar s && s.value() != null ? String.valueOf(s.value()) : fallback;
    }
}
