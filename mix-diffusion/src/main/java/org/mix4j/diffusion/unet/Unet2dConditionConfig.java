package org.mix4j.diffusion.unet;

import java.util.ArrayList;
import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.diffusion.lora.LoraFile;
import org.mix4j.nn.Activation;

/**
 * The keys of diffusers' {@code UNet2DConditionModel} config that this implementation reads; the
 * defaults are that class's. Keys that take an int or a per-block list accept both. Features this
 * implementation does not have (class embeddings, addition embeddings other than {@code text}, LCM
 * guidance embedding, dual or gated attention) are rejected here with the key that asked for them. {@code lora} is a mix4j key: LoRA
 * files merged into the weights at load.
 */
public record Unet2dConditionConfig(
        @OptionalKey Integer sampleSize,
        @Default("4") int inChannels,
        @Default("4") int outChannels,
        @Default("false") boolean centerInputSample,
        @Default("true") boolean flipSinToCos,
        @Default("0") double freqShift,
        @Default("[CrossAttnDownBlock2D, CrossAttnDownBlock2D, CrossAttnDownBlock2D, DownBlock2D]")
        List<String> downBlockTypes,
        @Default("UNetMidBlock2DCrossAttn") String midBlockType,
        @Default("[UpBlock2D, CrossAttnUpBlock2D, CrossAttnUpBlock2D, CrossAttnUpBlock2D]") List<String> upBlockTypes,
        @Default("false") List<Boolean> onlyCrossAttention,
        @Default("[320, 640, 1280, 1280]") List<Integer> blockOutChannels,
        @Default("2") List<Integer> layersPerBlock,
        @Default("1") int downsamplePadding,
        @Default("1") double midBlockScaleFactor,
        @Default("silu") String actFn,
        @Default("32") int normNumGroups,
        @Default("1e-5") double normEps,
        @Default("1280") List<Integer> crossAttentionDim,
        @Default("1") List<Integer> transformerLayersPerBlock,
        @OptionalKey List<List<Integer>> reverseTransformerLayersPerBlock,
        @Default("8") List<Integer> attentionHeadDim,
        @OptionalKey List<Integer> numAttentionHeads,
        @Default("false") boolean useLinearProjection,
        @Default("false") boolean upcastAttention,
        @Default("default") String resnetTimeScaleShift,
        @Default("positional") String timeEmbeddingType,
        @OptionalKey Integer timeEmbeddingDim,
        @OptionalKey String timeEmbeddingActFn,
        @OptionalKey String timestepPostAct,
        @Default("3") int convInKernel,
        @Default("3") int convOutKernel,
        @Default("false") boolean dualCrossAttention,
        @Default("default") String attentionType,
        @OptionalKey String classEmbedType,
        @OptionalKey Integer numClassEmbeds,
        @OptionalKey String additionEmbedType,
        @Default("64") int additionEmbedTypeNumHeads,
        @OptionalKey String encoderHidDimType,
        @OptionalKey Integer timeCondProjDim,
        @Default("[]") List<LoraFile> lora) {

    public static final List<String> DOWN_BLOCK_TYPES = List.of("CrossAttnDownBlock2D", "DownBlock2D");
    public static final List<String> MID_BLOCK_TYPES = List.of("UNetMidBlock2DCrossAttn", "UNetMidBlock2D", "none");
    public static final List<String> UP_BLOCK_TYPES = List.of("CrossAttnUpBlock2D", "UpBlock2D");

    public Unet2dConditionConfig {
        int blocks = blockOutChannels.size();
        if (blocks == 0) {
            throw new IllegalArgumentException("block_out_channels: must name at least one block");
        }
        requireSize("down_block_types", downBlockTypes, blocks);
        requireSize("up_block_types", upBlockTypes, blocks);
        for (int i = 0; i < blocks; i++) {
            requireKnown("down_block_types[" + i + "]", downBlockTypes.get(i), DOWN_BLOCK_TYPES);
            requireKnown("up_block_types[" + i + "]", upBlockTypes.get(i), UP_BLOCK_TYPES);
        }
        requireKnown("mid_block_type", midBlockType, MID_BLOCK_TYPES);
        onlyCrossAttention = perBlock("only_cross_attention", onlyCrossAttention, blocks);
        layersPerBlock = perBlock("layers_per_block", layersPerBlock, blocks);
        crossAttentionDim = perBlock("cross_attention_dim", crossAttentionDim, blocks);
        transformerLayersPerBlock = perBlock("transformer_layers_per_block", transformerLayersPerBlock, blocks);
        attentionHeadDim = perBlock("attention_head_dim", attentionHeadDim, blocks);
        if (numAttentionHeads != null) {
            numAttentionHeads = perBlock("num_attention_heads", numAttentionHeads, blocks);
        }
        if (reverseTransformerLayersPerBlock != null) {
            unsupported("reverse_transformer_layers_per_block", reverseTransformerLayersPerBlock, "null");
        }
        Activation.of(actFn, "act_fn");
        if (timeEmbeddingActFn != null) {
            Activation.of(timeEmbeddingActFn, "time_embedding_act_fn");
        }
        if (timestepPostAct != null) {
            Activation.of(timestepPostAct, "timestep_post_act");
        }
        requireKnown("resnet_time_scale_shift", resnetTimeScaleShift, List.of("default", "scale_shift"));
        requireKnown("time_embedding_type", timeEmbeddingType, List.of("positional"));
        requireKnown("attention_type", attentionType, List.of("default"));
        if (dualCrossAttention) {
            unsupported("dual_cross_attention", true, "false");
        }
        if (classEmbedType != null || numClassEmbeds != null) {
            unsupported(classEmbedType != null ? "class_embed_type" : "num_class_embeds",
                    classEmbedType != null ? classEmbedType : numClassEmbeds, "null");
        }
        if (additionEmbedType != null) {
            if (!additionEmbedType.equals("text")) {
                unsupported("addition_embed_type", additionEmbedType,
                        "null, text (SDXL's text_time and the image ones are not implemented)");
            }
            if (crossAttentionDim.stream().distinct().count() != 1) {
                throw new IllegalArgumentException("addition_embed_type: text pools the text states, so cross_attention_dim"
                        + " must be one width for every block, got " + crossAttentionDim);
            }
            if (additionEmbedTypeNumHeads < 1 || crossAttentionDim.get(0) % additionEmbedTypeNumHeads != 0) {
                throw new IllegalArgumentException("addition_embed_type_num_heads: " + additionEmbedTypeNumHeads
                        + " must divide cross_attention_dim (" + crossAttentionDim.get(0) + ")");
            }
        }
        if (encoderHidDimType != null) {
            unsupported("encoder_hid_dim_type", encoderHidDimType, "null");
        }
        if (timeCondProjDim != null) {
            unsupported("time_cond_proj_dim", timeCondProjDim, "null (guidance-embedding UNets are not implemented)");
        }
        lora = List.copyOf(lora);
        if (convInKernel % 2 == 0 || convOutKernel % 2 == 0) {
            throw new IllegalArgumentException("conv_in_kernel / conv_out_kernel: must be odd, got "
                    + convInKernel + " / " + convOutKernel);
        }
    }

    /** Heads per down block: diffusers' legacy reading, {@code num_attention_heads or attention_head_dim}. */
    public List<Integer> headsPerBlock() {
        return numAttentionHeads != null ? numAttentionHeads : attentionHeadDim;
    }

    /** Width of the time embedding: {@code time_embedding_dim}, else {@code 4 * block_out_channels[0]}. */
    public int timeEmbedDim() {
        return timeEmbeddingDim != null ? timeEmbeddingDim : 4 * blockOutChannels.get(0);
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
        throw new IllegalArgumentException(key + ": give one value or one per block (" + blocks
                + ", as block_out_channels), got " + values);
    }

    private static void requireSize(String key, List<?> values, int blocks) {
        if (values.size() != blocks) {
            throw new IllegalArgumentException(key + ": needs one entry per block (" + blocks
                    + ", as block_out_channels), got " + values);
        }
    }

    private static void requireKnown(String key, String value, List<String> valid) {
        if (!valid.contains(value)) {
            throw new IllegalArgumentException(key + ": unknown value '" + value + "'; valid: " + String.join(", ", valid));
        }
    }

    private static void unsupported(String key, Object value, String valid) {
        throw new IllegalArgumentException(key + ": " + value + " is not supported by unet2d_condition; valid: " + valid);
    }
}
