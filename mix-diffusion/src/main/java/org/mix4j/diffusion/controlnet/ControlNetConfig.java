package org.mix4j.diffusion.controlnet;

import java.util.ArrayList;
import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.nn.Activation;

/**
 * The keys of diffusers' {@code ControlNetModel} config that this implementation reads; defaults
 * are that class's. The down and mid blocks take the UNet's keys; the conditioning embedding takes
 * {@code conditioning_channels} and {@code conditioning_embedding_out_channels}. SDXL-style added
 * conditions and class embeddings are rejected with the key that asked for them.
 */
public record ControlNetConfig(
        @Default("4") int inChannels,
        @Default("3") int conditioningChannels,
        @Default("true") boolean flipSinToCos,
        @Default("0") double freqShift,
        @Default("[CrossAttnDownBlock2D, CrossAttnDownBlock2D, CrossAttnDownBlock2D, DownBlock2D]")
        List<String> downBlockTypes,
        @Default("UNetMidBlock2DCrossAttn") String midBlockType,
        @Default("false") List<Boolean> onlyCrossAttention,
        @Default("[320, 640, 1280, 1280]") List<Integer> blockOutChannels,
        @Default("2") int layersPerBlock,
        @Default("1") int downsamplePadding,
        @Default("1") double midBlockScaleFactor,
        @Default("silu") String actFn,
        @Default("32") int normNumGroups,
        @Default("1e-5") double normEps,
        @Default("1280") int crossAttentionDim,
        @Default("1") List<Integer> transformerLayersPerBlock,
        @Default("8") List<Integer> attentionHeadDim,
        @OptionalKey List<Integer> numAttentionHeads,
        @Default("false") boolean useLinearProjection,
        @Default("false") boolean upcastAttention,
        @Default("default") String resnetTimeScaleShift,
        @Default("rgb") String controlnetConditioningChannelOrder,
        @Default("[16, 32, 96, 256]") List<Integer> conditioningEmbeddingOutChannels,
        @Default("false") boolean globalPoolConditions,
        @OptionalKey String classEmbedType,
        @OptionalKey Integer numClassEmbeds,
        @OptionalKey String additionEmbedType,
        @OptionalKey String encoderHidDimType) {

    public ControlNetConfig {
        int blocks = blockOutChannels.size();
        if (blocks == 0 || downBlockTypes.size() != blocks) {
            throw new IllegalArgumentException("down_block_types: needs one entry per block of block_out_channels "
                    + blockOutChannels + ", got " + downBlockTypes);
        }
        for (String t : downBlockTypes) {
            requireKnown("down_block_types", t, List.of("CrossAttnDownBlock2D", "DownBlock2D"));
        }
        requireKnown("mid_block_type", midBlockType, List.of("UNetMidBlock2DCrossAttn", "UNetMidBlock2D"));
        requireKnown("controlnet_conditioning_channel_order", controlnetConditioningChannelOrder, List.of("rgb", "bgr"));
        requireKnown("resnet_time_scale_shift", resnetTimeScaleShift, List.of("default", "scale_shift"));
        onlyCrossAttention = perBlock("only_cross_attention", onlyCrossAttention, blocks);
        transformerLayersPerBlock = perBlock("transformer_layers_per_block", transformerLayersPerBlock, blocks);
        attentionHeadDim = perBlock("attention_head_dim", attentionHeadDim, blocks);
        if (numAttentionHeads != null) {
            numAttentionHeads = perBlock("num_attention_heads", numAttentionHeads, blocks);
        }
        if (conditioningEmbeddingOutChannels.isEmpty()) {
            throw new IllegalArgumentException("conditioning_embedding_out_channels: must name at least one width");
        }
        conditioningEmbeddingOutChannels = List.copyOf(conditioningEmbeddingOutChannels);
        Activation.of(actFn, "act_fn");
        if (classEmbedType != null || numClassEmbeds != null) {
            throw new IllegalArgumentException("class_embed_type / num_class_embeds: class embeddings are not supported "
                    + "by controlnet; valid: null");
        }
        if (additionEmbedType != null) {
            throw new IllegalArgumentException("addition_embed_type: " + additionEmbedType + " is not supported by "
                    + "controlnet (SDXL ControlNets); valid: null");
        }
        if (encoderHidDimType != null) {
            throw new IllegalArgumentException("encoder_hid_dim_type: " + encoderHidDimType + " is not supported; valid: null");
        }
    }

    /** Heads per block: diffusers' legacy reading, {@code num_attention_heads or attention_head_dim}. */
    public List<Integer> headsPerBlock() {
        return numAttentionHeads != null ? numAttentionHeads : attentionHeadDim;
    }

    /** The conditioning embedding's downsampling: 2 per stride-2 convolution (8 for SD's VAE). */
    public int conditioningFactor() {
        return 1 << (conditioningEmbeddingOutChannels.size() - 1);
    }

    private static <T> List<T> perBlock(String key, List<T> values, int blocks) {
        if (values.size() == blocks) {
            return List.copyOf(values);
        }
        if (values.size() == 1) {
            List<T> out = new ArrayList<>();
            for (int i = 0; i < blocks; i++) {
                out.add(values.get(0));
            }
            return List.copyOf(out);
        }
        throw new IllegalArgumentException(key + ": give one value or one per block (" + blocks + "), got " + values);
    }

    private static void requireKnown(String key, String value, List<String> valid) {
        if (!valid.contains(value)) {
            throw new IllegalArgumentException(key + ": unknown value '" + value + "'; valid: " + String.join(", ", valid));
        }
    }
}
