package org.mix4j.compose;

import java.util.List;
import java.util.Locale;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode;

/**
 * {@code quantize:} of a component section or of a whole pipeline: how the weights of the large
 * matrix products are held after loading ({@code none}: as loaded, in the engine; {@code int8}: one
 * byte per weight and a scale per output row, see {@link org.mix4j.tensor.Int8Matrix}; {@code fp16}:
 * IEEE half precision with float32 activations, see {@link org.mix4j.tensor.HalfMatrix}; {@code fp32}:
 * nothing rounded, the float32 weights held on the Java heap, see {@link org.mix4j.tensor.FloatMatrix}).
 * With any of the three a LLaMA-family decoder runs its one-token steps on Java arrays.
 */
public enum Quantize {
    NONE, INT8, FP16, FP32;

    /** The YAML spellings. */
    public static final List<String> NAMES = List.of("none", "int8", "fp16", "fp32");

    /** The packed format this asks for; {@code null} for {@link #NONE}. */
    public org.mix4j.tensor.WeightFormat format() {
        return this == NONE ? null : org.mix4j.tensor.WeightFormat.valueOf(name());
    }

    /** The YAML spelling. */
    public String label() {
        return NAMES.get(ordinal());
    }

    /** {@code map}'s {@code key}, or {@code null} when it is absent; an unknown value names the file, line and key. */
    public static Quantize parse(MapNode map, String keyPath, String key) {
        ConfigNode n = map.get(key);
        if (n == null || (n instanceof ConfigNode.Scalar s && s.value() == null)) {
            return null;
        }
        String text = n instanceof ConfigNode.Scalar s ? String.valueOf(s.value()).toLowerCase(Locale.ROOT) : null;
        if (text == null || !NAMES.contains(text)) {
            ConfigNode.Origin o = n.origin();
            throw new ConfigException(o.file(), o.line(), o.column(), keyPath, "unknown value '"
                    + (text == null ? "(a " + n.getClass().getSimpleName() + ")" : text) + "'", NAMES);
        }
        return valueOf(text.toUpperCase(Locale.ROOT));
    }

    /**
     * The options of a component section given in code (a golden runner's): {@code keyValues} as key,
     * value pairs, and {@code quantize: <quantize>}.
     */
    public static java.util.Map<String, Object> section(String quantize, String... keyValues) {
        java.util.Map<String, Object> section = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            section.put(keyValues[i], keyValues[i + 1]);
        }
        section.put("quantize", quantize);
        return section;
    }
}
