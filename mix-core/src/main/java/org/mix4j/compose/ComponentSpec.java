package org.mix4j.compose;

import java.util.List;
import java.util.Locale;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigNode;

/**
 * One component section of a pipeline YAML, before its type-specific keys are bound.
 *
 * @param path key path of the section ({@code encoder})
 * @param type the {@code type:} value
 * @param weights sub-path of the checkpoint holding this component ({@code unet}), or {@code null};
 *     written {@code weights:} or, for components without tensors, {@code path:}
 * @param weightsPrefix prefix of this component's tensor names ({@code vision_tower.}), or ""
 * @param config explicit config file (relative to the checkpoint), or {@code null}
 * @param init where the weights come from
 * @param seed seed for {@code init: random}
 * @param quantize {@code quantize:} ({@link Quantize}), or {@code null} when the section leaves it to the pipeline
 * @param quantizeInherited whether {@code quantize} came from the pipeline ({@link #withDefaultQuantize}):
 *     then a component with nothing to quantize is left as it is instead of failing
 * @param options the remaining, type-specific keys
 * @param typeOrigin where {@code type:} was written
 */
public record ComponentSpec(String path, String type, String weights, String weightsPrefix, String config,
        Init init, long seed, Quantize quantize, boolean quantizeInherited, MapNode options, Origin typeOrigin) {

    /** Keys every component section accepts. */
    public static final List<String> COMMON_KEYS = List.of("type", "weights", "path", "weights_prefix", "config", "init",
            "seed", "quantize");

    /** {@code init:} values. */
    public enum Init { CHECKPOINT, RANDOM }

    public Origin origin() {
        return options.origin();
    }

    /** Reads the common keys of a section; type-specific keys stay in {@link #options()}. */
    public static ComponentSpec parse(String path, ConfigNode node) {
        if (!(node instanceof MapNode map)) {
            Origin o = node.origin();
            throw new ConfigException(o.file(), o.line(), o.column(), path,
                    "expected a mapping with at least 'type:'", null);
        }
        String type = text(map, path, "type", null);
        if (type == null) {
            Origin o = map.origin();
            throw new ConfigException(o.file(), o.line(), o.column(), path + ".type", "missing required key", null);
        }
        String initText = text(map, path, "init", "checkpoint");
        Init init;
        try {
            init = Init.valueOf(initText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            Origin o = map.get("init").origin();
            throw new ConfigException(o.file(), o.line(), o.column(), path + ".init", "unknown value '" + initText + "'",
                    List.of("checkpoint", "random"));
        }
        long seed = 0;
        if (map.get("seed") instanceof Scalar s && s.value() != null) {
            if (!(s.value() instanceof Long l)) {
                throw new ConfigException(s.origin().file(), s.origin().line(), s.origin().column(), path + ".seed",
                        "expected an integer, got '" + s.value() + "'", null);
            }
            seed = l;
        }
        String weights = text(map, path, "weights", null);
        String dirPath = text(map, path, "path", null);
        if (weights != null && dirPath != null) {
            Origin o = map.keyOrigin("path");
            throw new ConfigException(o.file(), o.line(), o.column(), path + ".path",
                    "'path' and 'weights' mean the same (the component's sub-path); give one", null);
        }
        return new ComponentSpec(path, type, weights != null ? weights : dirPath, text(map, path, "weights_prefix", ""),
                text(map, path, "config", null), init, seed, Quantize.parse(map, path + ".quantize", "quantize"),
                false, map.without(COMMON_KEYS), map.keyOrigin("type"));
    }

    /**
     * This spec with relative {@code weights}/{@code path} and {@code config} resolved against
     * {@code base}: how a YAML without {@code checkpoint:} names files next to itself.
     */
    public ComponentSpec resolvedAgainst(java.nio.file.Path base) {
        return new ComponentSpec(path, type, resolve(base, weights), weightsPrefix, resolve(base, config), init, seed,
                quantize, quantizeInherited, options, typeOrigin);
    }

    /** This spec with {@code quantize} when the section does not say (a pipeline-wide {@code quantize:}). */
    public ComponentSpec withDefaultQuantize(Quantize pipelineWide) {
        return quantize != null || pipelineWide == null ? this
                : new ComponentSpec(path, type, weights, weightsPrefix, config, init, seed, pipelineWide, true, options,
                        typeOrigin);
    }

    private static String resolve(java.nio.file.Path base, String file) {
        if (file == null || java.nio.file.Path.of(file).isAbsolute()) {
            return file;
        }
        return base.resolve(file).normalize().toString();
    }

    private static String text(MapNode map, String path, String key, String fallback) {
        ConfigNode n = map.get(key);
        if (n == null || (n instanceof Scalar s && s.value() == null)) {
            return fallback;
        }
        if (!(n instanceof Scalar s)) {
            Origin o = n.origin();
            throw new ConfigException(o.file(), o.line(), o.column(), path + "." + key, "expected a single value", null);
        }
        return String.valueOf(s.value());
    }
}
