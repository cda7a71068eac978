package org.mix4j.connectors.flamingo;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * Flamingo's perceiver resampler ({@code PerceiverResampler(dim, depth=6, dim_head=64, heads=8,
 * num_latents=64, max_num_media=None, max_num_frames=None, ff_mult=4)} in flamingo-pytorch /
 * OpenFlamingo). There is no Hugging Face config for it, so {@code hidden_size} ({@code dim}) is
 * given in YAML.
 *
 * @param hiddenSize {@code dim}: the width of features and latents
 * @param maxNumMedia when set, {@code media_time_embs [max_num_media, 1, dim]} is stored and its
 *     first entry is added to the features (one image per call)
 * @param maxNumFrames when set, {@code frame_embs [max_num_frames, dim]} is stored and its first
 *     entry is added (single-frame input)
 * @param outFeatures when set, a {@code proj} Linear (with bias) maps the output to this width (a
 *     mix4j addition so the resampler can feed a language model directly)
 */
public record FlamingoResamplerConfig(
        int hiddenSize,
        @Default("6") int depth,
        @Default("64") int dimHead,
        @Default("8") int heads,
        @Default("64") int numLatents,
        @Default("4") int ffMult,
        @Default("1e-5") double layerNormEps,
        @OptionalKey Integer maxNumMedia,
        @OptionalKey Integer maxNumFrames,
        @OptionalKey Integer outFeatures) {

    public FlamingoResamplerConfig {
        if (hiddenSize < 1 || depth < 1 || dimHead < 1 || heads < 1 || numLatents < 1 || ffMult < 1) {
            throw new IllegalArgumentException("sizes must be positive: hidden_size " + hiddenSize + ", depth " + depth
                    + ", dim_head " + dimHead + ", heads " + heads + ", num_latents " + numLatents + ", ff_mult "
                    + ffMult);
        }
        for (Integer v : new Integer[] {maxNumMedia, maxNumFrames, outFeatures}) {
            if (v != null && v < 1) {
                throw new IllegalArgumentException("max_num_media, max_num_frames and out_features must be positive"
                        + " when set, got " + maxNumMedia + ", " + maxNumFrames + ", " + outFeatures);
            }
        }
    }
}
