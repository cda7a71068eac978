package org.mix4j.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed configuration value that remembers where it came from, so that errors can name the file,
 * line and column. YAML documents, {@code config.json} files and programmatic overrides all become
 * this tree before binding.
 */
public sealed interface ConfigNode permits ConfigNode.MapNode, ConfigNode.ListNode, ConfigNode.Scalar {

    Origin origin();

    /** Where a value was written: file (or a description), 1-based line and column, 0 when unknown. */
    record Origin(String file, int line, int column) {
        /** No location known yet; {@link ConfigException#locatedAt} fills one in. */
        public static final Origin UNKNOWN = new Origin(null, 0, 0);

        public static Origin of(String file) {
            return new Origin(file, 0, 0);
        }
    }

    /** A mapping; keys keep their order and their own origins. */
    record MapNode(Map<String, ConfigNode> entries, Map<String, Origin> keyOrigins, Origin origin)
            implements ConfigNode {
        public MapNode {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            keyOrigins = Collections.unmodifiableMap(new LinkedHashMap<>(keyOrigins));
        }

        public ConfigNode get(String key) {
            return entries.get(key);
        }

        public Origin keyOrigin(String key) {
            return keyOrigins.getOrDefault(key, origin);
        }

        /** This mapping without {@code keys}. */
        public MapNode without(java.util.Collection<String> keys) {
            Map<String, ConfigNode> e = new LinkedHashMap<>(entries);
            Map<String, Origin> k = new LinkedHashMap<>(keyOrigins);
            keys.forEach(e::remove);
            keys.forEach(k::remove);
            return new MapNode(e, k, origin);
        }

        /** This mapping with {@code other}'s entries added or replacing ours. */
        public MapNode with(MapNode other) {
            Map<String, ConfigNode> e = new LinkedHashMap<>(entries);
            Map<String, Origin> k = new LinkedHashMap<>(keyOrigins);
            e.putAll(other.entries);
            k.putAll(other.keyOrigins);
            return new MapNode(e, k, origin);
        }
    }

    record ListNode(List<ConfigNode> items, Origin origin) implements ConfigNode {
        public ListNode {
            items = List.copyOf(items);
        }
    }

    /** A scalar: {@code String}, {@code Long}, {@code Double}, {@code Boolean}, or {@code null}. */
    record Scalar(Object value, Origin origin) implements ConfigNode {}

    /** A plain Java value (maps, lists, numbers, strings; trees as they are) as a tree, e.g. for overrides. */
    static ConfigNode fromJava(Object value, Origin origin) {
        if (value instanceof ConfigNode node) {
            return node;
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, ConfigNode> e = new LinkedHashMap<>();
            Map<String, Origin> k = new LinkedHashMap<>();
            m.forEach((key, v) -> {
                e.put(String.valueOf(key), fromJava(v, origin));
                k.put(String.valueOf(key), origin);
            });
            return new MapNode(e, k, origin);
        }
        if (value instanceof List<?> l) {
            return new ListNode(l.stream().map(v -> fromJava(v, origin)).toList(), origin);
        }
        if (value instanceof int[] a) {
            return new ListNode(java.util.Arrays.stream(a).mapToObj(v -> fromJava((long) v, origin)).toList(), origin);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return new Scalar(((Number) value).longValue(), origin);
        }
        if (value instanceof Float f) {
            return new Scalar(f.doubleValue(), origin);
        }
        if (value instanceof Enum<?> en) {
            return new Scalar(en.name().toLowerCase(java.util.Locale.ROOT), origin);
        }
        return new Scalar(value, origin);
    }
}
