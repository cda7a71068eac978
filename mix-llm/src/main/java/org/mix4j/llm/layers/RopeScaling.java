package org.mix4j.llm.layers;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code rope_scaling} entry of a Hugging Face config: how rotary frequencies are stretched for
 * contexts longer than the model was trained on.
 *
 * @param type {@code default}, {@code linear} (position interpolation, Chen et al. 2023) or
 *     {@code llama3} (frequency-dependent interpolation of Llama 3.1)
 * @param factor how much longer the context becomes
 * @param lowFreqFactor llama3 only
 * @param highFreqFactor llama3 only
 * @param originalMaxPositionEmbeddings llama3 only: the pre-training context length
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    public static final List<String> TYPES = List.of("default", "linear", "llama3");

    public static final RopeScaling NONE = new RopeScaling("default", 1, 0, 0, 0);

    public RopeScaling {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("rope_scaling type '" + type + "' is not supported; supported: " + TYPES);
        }
        if (!type.equals("default") && !(factor > 0)) {
            throw new IllegalArgumentException("rope_scaling.factor must be > 0, got " + factor);
        }
        if (type.equals("llama3")) {
            if (originalMaxPositionEmbeddings <= 0) {
                throw new IllegalArgumentException(
                        "rope_scaling of type llama3 needs original_max_position_embeddings > 0");
            }
            if (!(highFreqFactor > lowFreqFactor)) {
                throw new IllegalArgumentException("rope_scaling of type llama3 needs high_freq_factor ("
                        + highFreqFactor + ") > low_freq_factor (" + lowFreqFactor + ")");
            }
        }
    }

    /**
     * Reads a {@code rope_scaling} mapping ({@code rope_type}, or the older {@code type}; the
     * numbers as Hugging Face writes them). {@code null} means no scaling.
     */
    public static RopeScaling parse(Map<String, ?> map) {
        if (map == null || map.isEmpty()) {
            return NONE;
        }
        Object t = map.containsKey("rope_type") ? map.get("rope_type") : map.get("type");
        String type = t == null ? "default" : String.valueOf(t).toLowerCase(Locale.ROOT);
        return new RopeScaling(type, number(map, "factor", 1), number(map, "low_freq_factor", 1),
                number(map, "high_freq_factor", 4), (int) number(map, "original_max_position_embeddings", 0));
    }

    private static double number(Map<String, ?> map, String key, double fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rope_scaling." + key + " must be a number, got '" + v + "'");
        }
    }
}
