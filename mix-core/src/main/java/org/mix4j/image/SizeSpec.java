package org.mix4j.image;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.ListNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;

/**
 * A {@code size} / {@code crop_size} value of {@code preprocessor_config.json}, normalised the way
 * transformers' {@code get_size_dict} does: a dict {@code {height, width}}, {@code {shortest_edge}}
 * (optionally with {@code longest_edge}) or {@code {longest_edge}}; an int is
 * {@code {shortest_edge: n}} or a square {@code {height: n, width: n}} depending on the caller;
 * a list is {@code [height, width]}. Absent entries are 0.
 */
public record SizeSpec(int height, int width, int shortestEdge, int longestEdge) {

    private static final List<Set<String>> VALID_KEYS = List.of(Set.of("height", "width"), Set.of("shortest_edge"),
            Set.of("shortest_edge", "longest_edge"), Set.of("longest_edge"));

    /** An exact {@code height} x {@code width}. */
    public static SizeSpec exact(int height, int width) {
        return new SizeSpec(height, width, 0, 0);
    }

    public static SizeSpec shortestEdge(int edge) {
        return new SizeSpec(0, 0, edge, 0);
    }

    public boolean hasExactSize() {
        return height > 0 && width > 0;
    }

    /**
     * @param defaultToSquare how a bare int reads: a square (crop sizes, SigLIP) or a shortest edge (CLIP size)
     * @param key the config key, for messages
     */
    public static SizeSpec parse(ConfigNode node, boolean defaultToSquare, String key) {
        if (node instanceof Scalar s && s.value() instanceof Long n) {
            int v = positive(n, key);
            return defaultToSquare ? exact(v, v) : shortestEdge(v);
        }
        if (node instanceof ListNode l && l.items().size() == 2) {
            return exact(positive(number(l.items().get(0), key), key), positive(number(l.items().get(1), key), key));
        }
        if (node instanceof MapNode m) {
            Set<String> keys = new TreeSet<>(m.entries().keySet());
            if (!VALID_KEYS.contains(keys)) {
                throw new IllegalArgumentException(key + " must have the keys " + VALID_KEYS + ", got " + keys);
            }
            Map<String, ConfigNode> e = m.entries();
            return new SizeSpec(entry(e, "height", key), entry(e, "width", key), entry(e, "shortest_edge", key),
                    entry(e, "longest_edge", key));
        }
        throw new IllegalArgumentException(key + " must be an int, [height, width] or a dict such as "
                + "{height: 224, width: 224} or {shortest_edge: 224}");
    }

    private static int entry(Map<String, ConfigNode> entries, String name, String key) {
        ConfigNode n = entries.get(name);
        return n == null ? 0 : positive(number(n, key + "." + name), key + "." + name);
    }

    private static long number(ConfigNode node, String key) {
        if (node instanceof Scalar s && s.value() instanceof Long n) {
            return n;
        }
        throw new IllegalArgumentException(key + " must be an integer");
    }

    private static int positive(long v, String key) {
        if (v < 1 || v > 1 << 16) {
            throw new IllegalArgumentException(key + " must be between 1 and 65536, got " + v);
        }
        return (int) v;
    }
}
