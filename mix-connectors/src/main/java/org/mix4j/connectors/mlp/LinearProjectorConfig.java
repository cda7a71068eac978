package org.mix4j.connectors.mlp;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * The {@code linear} connector: one {@code nn.Linear} stored as {@code weight} / {@code bias}
 * directly under {@code weights_prefix}. Sizes default as for {@code mlp} (LLaVA config, then the
 * stored tensor shape).
 */
public record LinearProjectorConfig(
        @OptionalKey Integer inFeatures,
        @OptionalKey Integer outFeatures,
        @Default("true") boolean bias) {

    public LinearProjectorConfig {
        MlpProjectorConfig.positive("in_features", inFeatures);
        MlpProjectorConfig.positive("out_features", outFeatures);
    }
}
