package org.mix4j.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;

/**
 * Values set on top of a pipeline document before it is bound: command-line flags and Java API
 * calls become entries of the same tree the YAML became, so defaults and checks live only in the
 * settings records. Each value remembers its source ({@code --guidance}), and an error about it
 * names that source instead of a line.
 */
public final class ConfigOverrides {

    private final Map<String, ConfigNode> values = new LinkedHashMap<>();

    /**
     * Sets the value at a dotted {@code path} ({@code generation.max_new_tokens}); {@code null} leaves
     * the document's value alone.
     *
     * @param value a string, number, boolean, list or map ({@link ConfigNode#fromJava})
     * @param source what set it, as errors should name it ({@code --guidance})
     */
    public ConfigOverrides set(String path, Object value, String source) {
        if (value != null) {
            values.put(path, ConfigNode.fromJava(value, Origin.of(source)));
        }
        return this;
    }

    /** Clears the value at a dotted {@code path}: the key reads as not given (a recipe's {@code eval_data}, say). */
    public ConfigOverrides unset(String path, String source) {
        values.put(path, new ConfigNode.Scalar(null, Origin.of(source)));
        return this;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** The dotted paths set, in order. */
    public List<String> paths() {
        return List.copyOf(values.keySet());
    }

    /** {@code root} with every override in place; mappings on the way are kept or created. */
    public MapNode applyTo(MapNode root) {
        MapNode result = root;
        for (Map.Entry<String, ConfigNode> e : values.entrySet()) {
            result = put(result, List.of(e.getKey().split("\\.")), e.getValue());
        }
        return result;
    }

    private static MapNode put(MapNode map, List<String> path, ConfigNode value) {
        String key = path.get(0);
        ConfigNode child = value;
        if (path.size() > 1) {
            MapNode inner = map.get(key) instanceof MapNode m ? m : new MapNode(Map.of(), Map.of(), value.origin());
            child = put(inner, path.subList(1, path.size()), value);
        }
        Origin keyOrigin = path.size() > 1 && map.entries().containsKey(key) ? map.keyOrigin(key) : value.origin();
        return map.with(new MapNode(Map.of(key, child), Map.of(key, keyOrigin), value.origin()));
    }
}
