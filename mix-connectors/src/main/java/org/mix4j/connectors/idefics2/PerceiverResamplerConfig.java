package org.mix4j.connectors.idefics2;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.nn.Activation;

/**
 * Idefics2PerceiverConfig's keys (class defaults of transformers 4.47), plus Idefics2Connector's
 * modality projection. From a full Idefics2 config the keys come from {@code perceiver_config},
 * with {@code hidden_size} / {@code rms_norm_eps} taken from {@code text_config} when the two
 * widths differ (as Idefics2Config does), and the modality projection from {@code vision_config}
 * and {@code text_config}.
 *
 * @param resamplerPrefix where the resampler's tensors are, relative to {@code weights_prefix}:
 *     {@code perceiver_resampler.} under an Idefics2 checkpoint's {@code model.connector.}, empty
 *     for a bare Idefics2PerceiverResampler checkpoint
 * @param modalityProjection whether the features first go through Idefics2's gated
 *     {@code modality_projection} MLP from {@code in_features} to {@code hidden_size}
 * @param inFeatures vision width fed to the modality projection ({@code vision_config.hidden_size})
 * @param modalityIntermediateSize its inner width ({@code text_config.intermediate_size})
 * @param modalityHiddenAct its activation ({@code text_config.hidden_act})
 */
public record PerceiverResamplerConfig(
        @Default("4096") int hiddenSize,
        @Default("silu") Activation hiddenAct,
        @Default("1e-6") double rmsNormEps,
        @Default("64") int resamplerNLatents,
        @Default("3") int resamplerDepth,
        @Default("16") int resamplerNHeads,
        @Default("96") int resamplerHeadDim,
        @Default("4") int numKeyValueHeads,
        @Default("''") String resamplerPrefix,
        @Default("false") boolean modalityProjection,
        @OptionalKey Integer inFeatures,
        @OptionalKey Integer modalityIntermediateSize,
        @Default("silu") Activation modalityHiddenAct) {

    public PerceiverResamplerConfig {
        if (hiddenSize < 1 || resamplerNLatents < 1 || resamplerDepth < 1 || resamplerNHeads < 1
                || resamplerHeadDim < 1 || numKeyValueHeads < 1) {
            throw new IllegalArgumentException("sizes must be positive: hidden_size " + hiddenSize
                    + ", resampler_n_latents " + resamplerNLatents + ", resampler_depth " + resamplerDepth
                    + ", resampler_n_heads " + resamplerNHeads + ", resampler_head_dim " + resamplerHeadDim
                    + ", num_key_value_heads " + numKeyValueHeads);
        }
        if (resamplerNHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("resampler_n_heads " + resamplerNHeads
                    + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
        }
        if ((inFeatures != null && inFeatures < 1)
                || (modalityIntermediateSize != null && modalityIntermediateSize < 1)) {
            throw new IllegalArgumentException("in_features and modality_intermediate_size must be positive, got "
                    + inFeatures + " and " + modalityIntermediateSize);
        }
    }
}
