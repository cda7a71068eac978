package org.mix4j.plugins.pixelshuffle;

import org.mix4j.config.Default;

/**
 * The {@code pixel-shuffle:pixel_shuffle} connector. From an InternVL {@code config.json}:
 * {@code vision_hidden_size = vision_config.hidden_size}, {@code llm_hidden_size =
 * llm_config.hidden_size}, {@code downsample_ratio} and {@code ps_version} (top level).
 *
 * @param visionHiddenSize width {@code Dv} of the vision features
 * @param llmHiddenSize width of the language model, the output width
 * @param downsampleRatio {@code 1/k} for an integer {@code k}: the grid shrinks {@code k} times
 *     per side and the channels grow {@code k^2} times (InternVL: 0.5)
 * @param psVersion {@code v2} (InternVL's default: tokens stay row-major) or {@code v1} (the
 *     legacy order, which leaves the token grid transposed)
 * @param dropCls drop the grid's prefix tokens (CLS) before shuffling, as InternVL does with
 *     {@code vit_embeds[:, 1:, :]}; when false the features must hold patch tokens only
 * @param layerNormEps eps of {@code mlp1.0} ({@code nn.LayerNorm}'s default)
 */
public record PixelShuffleConfig(
        int visionHiddenSize,
        int llmHiddenSize,
        @Default("0.5") double downsampleRatio,
        @Default("v2") PsVersion psVersion,
        @Default("true") boolean dropCls,
        @Default("1e-5") double layerNormEps) {

    /** InternVL's {@code ps_version}. */
    public enum PsVersion { V1, V2 }

    public PixelShuffleConfig {
        if (visionHiddenSize < 1 || llmHiddenSize < 1) {
            throw new IllegalArgumentException("vision_hidden_size and llm_hidden_size must be positive, got "
                    + visionHiddenSize + " and " + llmHiddenSize);
        }
        if (!(downsampleRatio > 0 && downsampleRatio <= 1) || Math.abs(1 / downsampleRatio - Math.rint(1 / downsampleRatio)) > 1e-9) {
            throw new IllegalArgumentException("downsample_ratio must be 1/k for an integer k >= 1 (InternVL: 0.5), got "
                    + downsampleRatio);
        }
        if (layerNormEps <= 0) {
            throw new IllegalArgumentException("layer_norm_eps must be positive, got " + layerNormEps);
        }
    }

    /** {@code k = 1 / downsample_ratio}: tokens merged per side. */
    public int scale() {
        return (int) Math.rint(1 / downsampleRatio);
    }

    /** Width of a shuffled token, {@code Dv * k^2}: the size of {@code mlp1.0} and the input of {@code mlp1.1}. */
    public long shuffledSize() {
        return (long) visionHiddenSize * scale() * scale();
    }
}
