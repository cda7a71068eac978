package org.mix4j.encoders.layers;

/**
 * Which tokens of the selected hidden state a vision encoder hands on ({@code select:} in YAML),
 * LLaVA's {@code vision_feature_select_strategy}.
 */
public enum FeatureSelect {
    /** Patch tokens only: CLS is dropped (LLaVA's {@code default}). */
    PATCH,
    /** Every token, CLS included (LLaVA's {@code full}). */
    FULL;

    /** The YAML value for LLaVA's {@code vision_feature_select_strategy}, or {@code null} if unknown. */
    public static FeatureSelect fromLlavaStrategy(String strategy) {
        return switch (strategy) {
            case "default" -> PATCH;
            case "full" -> FULL;
            default -> null;
        };
    }
}
