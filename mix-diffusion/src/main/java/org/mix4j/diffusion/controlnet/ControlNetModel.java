package org.mix4j.diffusion.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.ControlNet;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.diffusion.layers.Conv2d;
import org.mix4j.diffusion.layers.ResnetBlock2d;
import org.mix4j.diffusion.unet.Transformer2d;
import org.mix4j.diffusion.unet.Unet2dCondition;
import org.mix4j.diffusion.unet.Unet2dCondition.TimestepEmbedding;
import org.mix4j.diffusion.unet.UnetBlocks.DownBlock;
import org.mix4j.diffusion.unet.UnetBlocks.MidBlock;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * ControlNet: Zhang, Rao and Agrawala, "Adding Conditional Control to Text-to-Image Diffusion
 * Models" (2023); diffusers 0.31 {@code ControlNetModel}. A trainable copy of the UNet's encoder
 * (time embedding, {@code conv_in}, down blocks, mid block) sees the noisy latent plus an embedding
 * of the control image; a zero-initialised 1x1 convolution per skip connection and one for the mid
 * block turn its activations into residuals for the UNet, scaled by the conditioning scale.
 */
public final class ControlNetModel implements ControlNet {

    private final ControlNetConfig config;
    private final NDManager manager;
    private final TimestepEmbedding timeEmbedding;
    private final Conv2d convIn;
    private final ConditioningEmbedding controlnetCondEmbedding;
    private final List<DownBlock> downBlocks = new ArrayList<>();
    private final MidBlock midBlock;
    private final List<Conv2d> controlnetDownBlocks = new ArrayList<>();
    private final Conv2d controlnetMidBlock;

    public ControlNetModel(ControlNetConfig config, Weights w, NDManager manager, TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        List<Integer> channels = config.blockOutChannels();
        int first = channels.get(0);
        int timeDim = 4 * first;
        this.timeEmbedding = TimestepEmbedding.load(w, first, timeDim, config.flipSinToCos(), config.freqShift(),
                config.actFn(), parallel);
        this.convIn = Conv2d.same(w, "conv_in", config.inChannels(), first, 3, parallel);
        this.controlnetCondEmbedding = ConditioningEmbedding.load(w, config.conditioningChannels(),
                config.conditioningEmbeddingOutChannels(), first, parallel);
        ResnetBlock2d.Spec resnet = new ResnetBlock2d.Spec(config.normNumGroups(), config.normEps(),
                Activation.of(config.actFn(), "act_fn"), timeDim, 1.0, config.resnetTimeScaleShift().equals("scale_shift"));
        int blocks = channels.size();
        int zero = 0;
        controlnetDownBlocks.add(Conv2d.load(w, "controlnet_down_blocks." + zero++, first, first, 1, 1, 0, parallel));
        for (int i = 0; i < blocks; i++) {
            int in = channels.get(i == 0 ? 0 : i - 1);
            int out = channels.get(i);
            boolean last = i == blocks - 1;
            Transformer2d.Spec transformer = config.downBlockTypes().get(i).equals("CrossAttnDownBlock2D")
                    ? transformerSpec(i) : null;
            downBlocks.add(DownBlock.load(w, "down_blocks." + i + ".", in, out, config.layersPerBlock(), resnet,
                    transformer, last ? -1 : config.downsamplePadding(), parallel));
            for (int k = 0; k < config.layersPerBlock() + (last ? 0 : 1); k++) {
                controlnetDownBlocks.add(Conv2d.load(w, "controlnet_down_blocks." + zero++, out, out, 1, 1, 0,
                        parallel));
            }
        }
        int mid = channels.get(blocks - 1);
        this.midBlock = MidBlock.load(w, "mid_block.", mid, resnet.withOutputScaleFactor(config.midBlockScaleFactor()),
                config.midBlockType().equals("UNetMidBlock2DCrossAttn") ? transformerSpec(blocks - 1) : null, parallel);
        this.controlnetMidBlock = Conv2d.load(w, "controlnet_mid_block", mid, mid, 1, 1, 0, parallel);
    }

    private Transformer2d.Spec transformerSpec(int block) {
        return new Transformer2d.Spec(config.headsPerBlock().get(block), config.transformerLayersPerBlock().get(block),
                config.crossAttentionDim(), config.normNumGroups(), config.useLinearProjection(),
                config.onlyCrossAttention().get(block));
    }

    /**
     * @param conditioning {@code [B, conditioning_channels, h * f, w * f]} in [0, 1], {@code f} the
     *     conditioning embedding's downsampling ({@link ControlNetConfig#conditioningFactor()})
     * @return one residual per UNet skip connection (conv_in, then every down-block resnet and
     *     downsampler) and the mid-block residual, each times {@code scale}
     */
    @Override
    public DenoiserResiduals residuals(NDArray sample, NDArray timestep, NDArray encoderHiddenStates,
            NDArray conditioning, double scale) {
        long f = config.conditioningFactor();
        if (conditioning.getShape().get(2) != sample.getShape().get(2) * f
                || conditioning.getShape().get(3) != sample.getShape().get(3) * f) {
            throw new IllegalArgumentException("controlnet: control image " + conditioning.getShape() + " must be " + f
                    + " times the latent " + sample.getShape() + " in height and width");
        }
        NDList out = Scopes.runList(() -> run(sample, timestep, encoderHiddenStates, conditioning, (float) scale),
                sample, timestep, encoderHiddenStates, conditioning);
        List<NDArray> down = new ArrayList<>(out.subList(0, out.size() - 1));
        return new DenoiserResiduals(down, out.get(out.size() - 1));
    }

    private NDList run(NDArray sample, NDArray timestep, NDArray context, NDArray conditioning, float scale) {
        // 1. time
        NDArray temb = timeEmbedding.forward(Unet2dCondition.broadcastTimestep(timestep, sample.getShape().get(0)));

        // 2. conv_in plus the control image's embedding; inputs in the weights' type (a no-op in float32)
        DataType dtype = convIn.dataType();
        context = context.toType(dtype, false);
        NDArray cond = config.controlnetConditioningChannelOrder().equals("bgr") ? conditioning.flip(1) : conditioning;
        NDArray x = convIn.forward(sample.toType(dtype, false))
                .add(controlnetCondEmbedding.forward(cond.toType(dtype, false)));

        // 3. down blocks, keeping every skip connection
        List<NDArray> skips = new ArrayList<>();
        skips.add(x);
        for (DownBlock block : downBlocks) {
            x = block.forward(x, temb, context, skips);
        }

        // 4. mid block
        x = midBlock.forward(x, temb, context);

        // 5. zero convolutions and scaling
        NDList out = new NDList();
        for (int i = 0; i < skips.size(); i++) {
            out.add(scaled(controlnetDownBlocks.get(i).forward(skips.get(i)), scale));
        }
        out.add(scaled(controlnetMidBlock.forward(x), scale));
        return out;
    }

    /** {@code x * scale}; with {@code global_pool_conditions} averaged over height and width. */
    private NDArray scaled(NDArray x, float scale) {
        NDArray s = x.mul(scale);
        return config.globalPoolConditions() ? s.mean(new int[] {2, 3}, true) : s;
    }

    /** How many down residuals {@link #residuals} returns. */
    public int downResidualCount() {
        return controlnetDownBlocks.size();
    }

    public ControlNetConfig config() {
        return config;
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * {@code controlnet_cond_embedding}: a 3x3 convolution, then pairs of 3x3 convolutions (the
     * second with stride 2) between the widths, SiLU after each, and a zero-initialised 3x3
     * convolution to the UNet's first width.
     */
    static final class ConditioningEmbedding {

        private final Conv2d convIn;
        private final List<Conv2d> blocks;
        private final Conv2d convOut;

        private ConditioningEmbedding(Conv2d convIn, List<Conv2d> blocks, Conv2d convOut) {
            this.convIn = convIn;
            this.blocks = blocks;
            this.convOut = convOut;
        }

        static ConditioningEmbedding load(Weights w, int in, List<Integer> widths, int out, TensorParallel parallel) {
            String p = "controlnet_cond_embedding.";
            List<Conv2d> blocks = new ArrayList<>();
            for (int i = 0; i < widths.size() - 1; i++) {
                int c = widths.get(i);
                blocks.add(Conv2d.same(w, p + "blocks." + (2 * i), c, c, 3, parallel));
                blocks.add(Conv2d.load(w, p + "blocks." + (2 * i + 1), c, widths.get(i + 1), 3, 2, 1, parallel));
            }
            return new ConditioningEmbedding(Conv2d.same(w, p + "conv_in", in, widths.get(0), 3, parallel), blocks,
                    Conv2d.same(w, p + "conv_out", widths.get(widths.size() - 1), out, 3, parallel));
        }

        /** {@code [B, in, H, W]} -> {@code [B, out, H / f, W / f]}. */
        NDArray forward(NDArray image) {
            NDArray h = Activation.silu(convIn.forward(image));
            for (Conv2d block : blocks) {
                h = Activation.silu(block.forward(h));
            }
            return convOut.forward(h);
        }
    }
}
