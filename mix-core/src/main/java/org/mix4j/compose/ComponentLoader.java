package org.mix4j.compose;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Quantizable;
import org.mix4j.api.Role;
import org.mix4j.api.Trainable;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.JsonConfig;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.mix4j.registry.MixSettings;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;
import org.mix4j.registry.UnknownComponentException;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.CheckpointException;
import org.mix4j.weights.CheckpointWeights;
import org.mix4j.weights.RandomWeights;
import org.mix4j.weights.Weights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds components from their YAML sections: finds the factory, reads the checkpoint's config,
 * binds the config record (YAML over checkpoint values over defaults), opens the weights under the
 * section's prefix, creates the component, and fails listing every missing tensor.
 */
@Singleton
public final class ComponentLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ComponentLoader.class);

    private final Registry registry;
    private final TensorParallel parallel;

    @Inject
    public ComponentLoader(Registry registry, MixSettings settings) {
        this(registry, TensorParallel.forEngine(settings.threads()));
    }

    private ComponentLoader(Registry registry, TensorParallel parallel) {
        this.registry = registry;
        this.parallel = parallel;
    }

    /** A loader whose components split their large ops over {@code parallel} instead. */
    public ComponentLoader withParallel(TensorParallel parallel) {
        return new ComponentLoader(registry, parallel);
    }

    public Registry registry() {
        return registry;
    }

    /** The threads the components this loader builds split their large ops over. */
    public TensorParallel parallel() {
        return parallel;
    }

    /** The factory for a section, or a {@link ConfigException} at its {@code type:} line. */
    public RegisteredComponent factory(ComponentSpec spec, Role role) {
        try {
            return registry.require(spec.type(), role);
        } catch (UnknownComponentException e) {
            Origin o = spec.typeOrigin();
            throw new ConfigException(o.file(), o.line(), o.column(), spec.path() + ".type", e.getMessage(), null);
        }
    }

    /**
     * Binds a section's config record without loading anything: what {@code mix validate} does.
     *
     * @param checkpoint the pipeline's checkpoint directory, or {@code null}
     */
    public Record bindConfig(ComponentSpec spec, Role role, Path checkpoint) {
        ComponentFactory<?, ?> factory = factory(spec, role).factory();
        Path dir = directory(spec, checkpoint);
        JsonObject json = readConfig(factory, spec, checkpoint, dir);
        return bind(factory, spec, json);
    }

    /** Checks a section's type and keys without the checkpoint config (nothing is required). */
    public void checkKeys(ComponentSpec spec, Role role) {
        ComponentFactory<?, ?> factory = factory(spec, role).factory();
        ConfigBinder.checkKeys(factory.configType(), spec.options(), spec.path(), new java.util.LinkedHashSet<>(ComponentSpec.COMMON_KEYS));
    }

    /**
     * The widths {@code config} (bound for {@code spec}) fixes, by {@link ComponentFactory#dimensions}'s names.
     *
     * @param checkpoint the pipeline's checkpoint directory, or {@code null}
     */
    @SuppressWarnings("unchecked")
    public Map<String, Long> dimensions(ComponentSpec spec, Role role, Record config, Path checkpoint) {
        ComponentFactory<Record, ?> factory = (ComponentFactory<Record, ?>) factory(spec, role).factory();
        return factory.configType().isInstance(config) ? factory.dimensions(config, directory(spec, checkpoint)) : Map.of();
    }

    /** {@code factory.create}; a config error it raises without a location gets the section's. */
    private static <T> T create(ComponentFactory<Record, T> factory, ComponentSpec spec, Record config,
            ComponentContext context) {
        try {
            return factory.create(config, context);
        } catch (ConfigException e) {
            throw e.locatedAt(spec.origin(), spec.path());
        }
    }

    /** Loads a section. The component owns a child of {@code manager} and frees it on close. */
    @SuppressWarnings("unchecked")
    public <T> T load(ComponentSpec spec, Role role, Path checkpoint, NDManager manager, DataType dtype) {
        org.mix4j.tensor.ComputeTypes.require(dtype);
        ComponentFactory<Record, T> factory = (ComponentFactory<Record, T>) factory(spec, role).factory();
        Path dir = directory(spec, checkpoint);
        JsonObject json = readConfig(factory, spec, checkpoint, dir);
        Record config = bind(factory, spec, json);
        if (!factory.hasWeights()) {
            return create(factory, spec, config, new ComponentContext(dir, null, manager, dtype, json, spec.seed(), parallel));
        }
        NDManager owned = manager.newSubManager();
        Checkpoint opened = null;
        try {
            Weights weights;
            if (spec.init() == ComponentSpec.Init.RANDOM) {
                weights = new RandomWeights(owned, dtype, spec.seed()).child(spec.weightsPrefix());
            } else {
                if (dir == null) {
                    Origin o = spec.origin();
                    throw new ConfigException(o.file(), o.line(), o.column(), spec.path(),
                            "no checkpoint to load weights from: set 'checkpoint:' or 'weights:', or 'init: random'", null);
                }
                opened = Checkpoint.open(dir);
                weights = opened.weights(owned, dtype).child(spec.weightsPrefix());
            }
            T component = create(factory, spec, config, new ComponentContext(dir, weights, owned, dtype, json, spec.seed(), parallel));
            try {
                weights.report().throwIfMissing();
            } catch (CheckpointException e) {
                closeComponent(component);
                throw new CheckpointException(spec.path() + " (" + spec.type() + "): " + e.getMessage()
                        + (spec.weightsPrefix().isEmpty() ? "" : " [weights_prefix '" + spec.weightsPrefix() + "'"
                                + (opened == null || opened.hasPrefix(spec.weightsPrefix()) ? "" : ", which no tensor name "
                                        + "starts with; they start with " + String.join(", ", opened.topLevelPrefixes(5)))
                                + "]")
                        + "; set 'init: random' to start this component untrained");
            }
            quantize(component, spec);
            if (weights instanceof CheckpointWeights cw) {
                List<String> unused = cw.unused();
                if (!unused.isEmpty()) {
                    LOG.debug("{}: {} checkpoint tensors under '{}' not used by {}, e.g. {}", spec.path(), unused.size(),
                            spec.weightsPrefix(), spec.type(), unused.subList(0, Math.min(5, unused.size())));
                }
            }
            return component;
        } catch (RuntimeException | Error e) {
            owned.close();
            throw e;
        } finally {
            if (opened != null) {
                opened.close();
            }
        }
    }

    /**
     * Loads a component for code that has no YAML (tests, golden runners): {@code overrides} play
     * the role of the section's type-specific keys.
     */
    public <T> T load(String type, Role role, Path directory, Map<String, ?> overrides, NDManager manager,
            DataType dtype) {
        return load(spec(type, directory, overrides), role, directory, manager, dtype);
    }

    /** A section built in code. Keys of {@code overrides} may include the common keys. */
    public static ComponentSpec spec(String type, Path directory, Map<String, ?> overrides) {
        Map<String, Object> section = new java.util.LinkedHashMap<>(overrides);
        section.put("type", type);
        ConfigNode node = ConfigNode.fromJava(section, Origin.of("<overrides of " + type + ">"));
        return ComponentSpec.parse(type, node);
    }

    /**
     * Where a section's files are: its {@code weights:} (relative to the checkpoint), else the
     * pipeline's checkpoint; {@code null} when there is neither.
     */
    public static Path directory(ComponentSpec spec, Path checkpoint) {
        if (spec.weights() != null) {
            Path w = Path.of(spec.weights());
            return w.isAbsolute() || checkpoint == null ? w : checkpoint.resolve(w);
        }
        return checkpoint;
    }

    private static JsonObject readConfig(ComponentFactory<?, ?> factory, ComponentSpec spec, Path checkpoint, Path dir) {
        Path file;
        if (spec.config() != null) {
            Path c = Path.of(spec.config());
            file = c.isAbsolute() || checkpoint == null ? c : checkpoint.resolve(c);
            if (Files.isDirectory(file)) {
                file = file.resolve(factory.configFile());
            }
            if (!Files.isRegularFile(file)) {
                Origin o = spec.origin();
                throw new ConfigException(o.file(), o.line(), o.column(), spec.path() + ".config",
                        "config file " + file + " does not exist", null);
            }
        } else {
            if (dir == null) {
                return null;
            }
            Path base = Files.isRegularFile(dir) ? dir.getParent() : dir;
            file = base == null ? null : base.resolve(factory.configFile());
            if (file == null || !Files.isRegularFile(file)) {
                return null;
            }
        }
        return JsonConfig.read(file);
    }

    private static Record bind(ComponentFactory<?, ?> factory, ComponentSpec spec, JsonObject json) {
        JsonObject defaults = json == null ? null : factory.configDefaults(json);
        MapNode defaultsNode = defaults == null ? null : JsonConfig.toNode(defaults, "checkpoint config");
        List<String> extra = new ArrayList<>(ComponentSpec.COMMON_KEYS);
        return ConfigBinder.bind(factory.configType(), spec.options(), defaultsNode, spec.path(), new java.util.LinkedHashSet<>(extra));
    }

    /**
     * Applies the section's {@code quantize:}: a {@link Quantizable} component quantizes itself, a
     * {@link Trainable} one each of its projections; a component with neither fails when its own
     * section asked for it.
     */
    private static void quantize(Object component, ComponentSpec spec) {
        if (spec.quantize() == null || spec.quantize() == Quantize.NONE) {
            return;
        }
        if (component instanceof Quantizable q) {
            q.quantize(spec.quantize().format());
        } else if (component instanceof Trainable t && !t.projections().isEmpty()) {
            new java.util.LinkedHashSet<>(t.projections().values().stream().map(Trainable.Projection::linear).toList())
                    .forEach(linear -> linear.quantize(spec.quantize().format()));
        } else if (spec.quantizeInherited()) {
            LOG.debug("{} ({}): nothing to quantize", spec.path(), spec.type());
            return;
        } else {
            Origin o = spec.options().origin();
            throw new ConfigException(o.file(), o.line(), o.column(), spec.path() + ".quantize",
                    "component type '" + spec.type() + "' has no layers that can be quantized", List.of("none"));
        }
        // the fp32 weights are closed: one full collection releases what still referred to them, and the C
        // allocator gives their pages back (it keeps freed blocks otherwise: int8 measured larger than fp32)
        System.gc();
        org.mix4j.tensor.NativeMemory.returnFreedPages();
        LOG.info("{} ({}): weights quantized to int8", spec.path(), spec.type());
    }

    private static void closeComponent(Object component) {
        if (component instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the load already failed; the original error is what matters
            }
        }
    }
}
