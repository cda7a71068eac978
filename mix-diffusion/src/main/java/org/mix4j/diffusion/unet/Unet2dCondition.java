package org.mix4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Trainable;
import org.mix4j.diffusion.layers.Conv2d;
import org.mix4j.diffusion.layers.GroupNorm;
import org.mix4j.diffusion.layers.ResnetBlock2d;
import org.mix4j.diffusion.lora.LoraUpdates;
import org.mix4j.diffusion.unet.UnetBlocks.DownBlock;
import org.mix4j.diffusion.unet.UnetBlocks.MidBlock;
import org.mix4j.diffusion.unet.UnetBlocks.UpBlock;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Linear;
import org.mix4j.nn.LoraUpdate;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * The conditional UNet of latent diffusion (Stable Diffusion 1.x / 2.x): diffusers 0.31
 * {@code UNet2DConditionModel} with its config read as that class reads it, including the legacy
 * meaning of {@code attention_head_dim} (the number of heads). Rombach et al., "High-Resolution
 * Image Synthesis with Latent Diffusion Models" (2022).
 */
public final class Unet2dCondition implements Denoiser, Trainable {

    private final Unet2dConditionConfig config;
    private final NDManager manager;
    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    /** {@code add_embedding}: the pooled prompt added to the time embedding; {@code null} without one. */
    private final TextTimeEmbedding addEmbedding;
    private final List<DownBlock> downBlocks = new ArrayList<>();
    private final MidBlock midBlock;
    private final List<UpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final UnaryOperator<NDArray> convAct;
    private final Conv2d convOut;
    private final Map<String, Projection> projections;
    /** The projections and the 1x1-kernel linears ({@code proj_in}/{@code proj_out}): what a per-call LoRA adapts. */
    private final Map<String, Projection> adaptable;

    public Unet2dCondition(Unet2dConditionConfig config, Weights w, NDManager manager, TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        List<Integer> channels = config.blockOutChannels();
        List<Integer> heads = config.headsPerBlock();
        int blocks = channels.size();
        this.convIn = Conv2d.same(w, "conv_in", config.inChannels(), channels.get(0), config.convInKernel(), parallel);
        this.timeEmbedding = TimestepEmbedding.load(w, config, parallel);
        this.addEmbedding = TextTimeEmbedding.load(w, config, parallel);
        ResnetBlock2d.Spec resnet = new ResnetBlock2d.Spec(config.normNumGroups(), config.normEps(),
                Activation.of(config.actFn(), "act_fn"), config.timeEmbedDim(), 1.0,
                config.resnetTimeScaleShift().equals("scale_shift"));

        for (int i = 0; i < blocks; i++) {
            long in = channels.get(i == 0 ? 0 : i - 1);
            Transformer2d.Spec transformer = config.downBlockTypes().get(i).equals("CrossAttnDownBlock2D")
                    ? transformerSpec(heads.get(i), config.transformerLayersPerBlock().get(i), i) : null;
            downBlocks.add(DownBlock.load(w, "down_blocks." + i + ".", in, channels.get(i),
                    config.layersPerBlock().get(i), resnet, transformer,
                    i == blocks - 1 ? -1 : config.downsamplePadding(), parallel));
        }

        int last = blocks - 1;
        this.midBlock = switch (config.midBlockType()) {
            case "UNetMidBlock2DCrossAttn" -> MidBlock.load(w, "mid_block.", channels.get(last),
                    resnet.withOutputScaleFactor(config.midBlockScaleFactor()),
                    transformerSpec(heads.get(last), config.transformerLayersPerBlock().get(last), last), parallel);
            case "UNetMidBlock2D" -> MidBlock.load(w, "mid_block.", channels.get(last),
                    resnet.withOutputScaleFactor(config.midBlockScaleFactor()), null, parallel);
            default -> null;
        };

        for (int i = 0; i < blocks; i++) {
            int down = last - i; // the down block this up block mirrors
            long prevOut = channels.get(i == 0 ? last : down + 1);
            long in = channels.get(Math.max(down - 1, 0));
            Transformer2d.Spec transformer = config.upBlockTypes().get(i).equals("CrossAttnUpBlock2D")
                    ? transformerSpec(heads.get(down), config.transformerLayersPerBlock().get(down), down) : null;
            upBlocks.add(UpBlock.load(w, "up_blocks." + i + ".", in, channels.get(down), prevOut,
                    config.layersPerBlock().get(down) + 1, resnet, transformer, i != last, parallel));
        }

        this.convNormOut = GroupNorm.load(w, "conv_norm_out", config.normNumGroups(), channels.get(0), config.normEps());
        this.convAct = Activation.of(config.actFn(), "act_fn");
        this.convOut = Conv2d.same(w, "conv_out", channels.get(0), config.outChannels(), config.convOutKernel(),
                parallel);
        this.projections = w.report().projectionsUnder(w.prefix());
        this.adaptable = w.report().adaptableUnder(w.prefix());
    }

    private Transformer2d.Spec transformerSpec(int heads, int layers, int block) {
        return new Transformer2d.Spec(heads, layers, config.crossAttentionDim().get(block), config.normNumGroups(),
                config.useLinearProjection(), config.onlyCrossAttention().get(block));
    }

    /**
     * @param sample {@code [B, in_channels, h, w]}
     * @param timestep {@code [B]}, {@code [1]} or a scalar, int64 or float
     * @param encoderHiddenStates {@code [B, T, cross_attention_dim]}
     * @param residuals ControlNet residuals: one per skip connection (conv_in's output, then every
     *     down-block resnet and downsampler output) and one for the mid block; {@code null} for none
     */
    @Override
    public NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, DenoiserResiduals residuals) {
        List<NDArray> inputs = new ArrayList<>(Arrays.asList(sample, timestep, encoderHiddenStates));
        if (residuals != null) {
            if (residuals.downBlock() != null) {
                inputs.addAll(residuals.downBlock());
            }
            inputs.add(residuals.midBlock());
        }
        return Scopes.run(() -> run(sample, timestep, encoderHiddenStates, residuals, null),
                inputs.toArray(NDArray[]::new));
    }

    @Override
    public Features forwardWithFeatures(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, long height,
            long width) {
        NDList out = Scopes.runList(() -> {
            Tap tap = new Tap(height, width);
            NDArray prediction = run(sample, timestep, encoderHiddenStates, null, tap);
            return new NDList(prediction, tap.hidden);
        }, sample, timestep, encoderHiddenStates);
        return new Features(out.get(0), out.get(1));
    }

    /** Which hidden state {@link #forwardWithFeatures} keeps: the last skip of the down path of this size. */
    private static final class Tap {
        final long height;
        final long width;
        NDArray hidden;

        Tap(long height, long width) {
            this.height = height;
            this.width = width;
        }

        void take(List<NDArray> skips) {
            for (int i = skips.size() - 1; i >= 0 && hidden == null; i--) {
                Shape s = skips.get(i).getShape();
                if (s.get(2) == height && s.get(3) == width) {
                    hidden = skips.get(i);
                }
            }
            if (hidden == null) {
                throw new IllegalArgumentException("no state of the UNet's down path is " + height + "x" + width
                        + "; their sizes: " + skips.stream().map(x -> x.getShape().get(2) + "x" + x.getShape().get(3))
                                .distinct().toList());
            }
        }
    }

    private NDArray run(NDArray sample, NDArray timestep, NDArray context, DenoiserResiduals residuals, Tap tap) {
        long batch = sample.getShape().get(0);
        // the pipeline keeps latents in float32; the layers run in the weights' type (diffusers'
        // `sample.to(unet.dtype)`), a no-op in float32
        DataType dtype = convIn.dataType();
        NDArray x = config.centerInputSample() ? sample.mul(2f).sub(1f) : sample;
        x = x.toType(dtype, false);
        context = context.toType(dtype, false);
        NDArray temb = timeEmbedding.forward(broadcastTimestep(timestep, batch),
                addEmbedding == null ? null : addEmbedding.forward(context));

        // 1. down path, keeping every skip connection
        x = convIn.forward(x);
        List<NDArray> skips = new ArrayList<>();
        skips.add(x);
        for (DownBlock block : downBlocks) {
            x = block.forward(x, temb, context, skips);
        }
        if (residuals != null && residuals.downBlock() != null) {
            addDownResiduals(skips, residuals.downBlock());
        }
        if (tap != null) {
            tap.take(skips);
        }

        // 2. mid block
        if (midBlock != null) {
            x = midBlock.forward(x, temb, context);
        }
        if (residuals != null && residuals.midBlock() != null) {
            x = addResidual(x, residuals.midBlock(), "mid-block residual");
        }

        // 3. up path; sizes not divisible by the total upsampling follow the skips' sizes
        boolean followSkips = sample.getShape().get(2) % (1L << (upBlocks.size() - 1)) != 0
                || sample.getShape().get(3) % (1L << (upBlocks.size() - 1)) != 0;
        for (int i = 0; i < upBlocks.size(); i++) {
            UpBlock block = upBlocks.get(i);
            long[] upsampleSize = null;
            if (followSkips && i < upBlocks.size() - 1) {
                Shape next = skips.get(skips.size() - 1 - block.skipCount()).getShape();
                upsampleSize = new long[] {next.get(2), next.get(3)};
            }
            x = block.forward(x, skips, temb, context, upsampleSize);
        }

        // 4. output
        return convOut.forward(convAct.apply(convNormOut.forward(x)));
    }

    /** A scalar, {@code [1]} or {@code [B]} timestep as {@code [B]}. */
    public static NDArray broadcastTimestep(NDArray timestep, long batch) {
        NDArray t = timestep.getShape().dimension() == 0 ? timestep.reshape(1) : timestep;
        if (t.getShape().dimension() != 1 || (t.size() != 1 && t.size() != batch)) {
            throw new IllegalArgumentException("timestep: expected a scalar, [1] or [" + batch + "] (one per sample row), got "
                    + timestep.getShape());
        }
        return t.size() == batch ? t : t.broadcast(new Shape(batch));
    }

    private void addDownResiduals(List<NDArray> skips, List<NDArray> residuals) {
        if (residuals.size() != skips.size()) {
            throw new IllegalArgumentException("ControlNet down-block residuals: " + residuals.size()
                    + " given, this UNet has " + skips.size() + " skip connections (conv_in, then each down-block"
                    + " resnet and downsampler)");
        }
        for (int i = 0; i < skips.size(); i++) {
            skips.set(i, addResidual(skips.get(i), residuals.get(i), "down-block residual " + i));
        }
    }

    private static NDArray addResidual(NDArray x, NDArray residual, String what) {
        if (!x.getShape().equals(residual.getShape())) {
            throw new IllegalArgumentException(what + ": shape " + residual.getShape() + ", expected " + x.getShape());
        }
        return x.add(residual.toType(x.getDataType(), false));
    }

    @Override
    public int inChannels() {
        return config.inChannels();
    }

    /** {@code sample_size}; 64 (SD 1.x at 512 px) when the config has none. */
    @Override
    public int sampleSize() {
        return config.sampleSize() != null ? config.sampleSize() : 64;
    }

    /**
     * Every tensor of the checkpoint, by its name and in its shape: convolutions, norms, the time
     * embedding, the transformers' projections and attention. Listing them switches the
     * convolutions that pad their kernels at load to padding per call (see {@link Conv2d}).
     */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        convIn.parameters("conv_in", out);
        timeEmbedding.parameters(out);
        if (addEmbedding != null) {
            addEmbedding.parameters(out);
        }
        for (int i = 0; i < downBlocks.size(); i++) {
            downBlocks.get(i).parameters("down_blocks." + i + ".", out);
        }
        if (midBlock != null) {
            midBlock.parameters("mid_block.", out);
        }
        for (int i = 0; i < upBlocks.size(); i++) {
            upBlocks.get(i).parameters("up_blocks." + i + ".", out);
        }
        convNormOut.parameters("conv_norm_out", out);
        convOut.parameters("conv_out", out);
        return out;
    }

    /** The LoRA unmerged on the linears ({@link LoraUpdates}); LoCon's convolutions are refused. */
    @Override
    public LoraUpdate loadLora(Path file, NDManager manager) {
        return LoraUpdates.load(file, adaptable, "this UNet", manager);
    }

    @Override
    public Map<String, Projection> projections() {
        return projections;
    }

    public Unet2dConditionConfig config() {
        return config;
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * Sinusoidal timestep features ({@code Timesteps}), then {@code time_embedding} (linear_1, act,
     * linear_2). Shared with the ControlNet, which embeds timesteps the same way.
     */
    public static final class TimestepEmbedding {

        private final int channels;
        private final boolean flipSinToCos;
        private final double freqShift;
        private final Linear linear1;
        private final UnaryOperator<NDArray> act;
        private final Linear linear2;
        private final UnaryOperator<NDArray> postAct;
        private final UnaryOperator<NDArray> embedAct;

        private TimestepEmbedding(int channels, boolean flipSinToCos, double freqShift, Linear linear1, String actFn,
                Linear linear2, String postAct, String embedAct) {
            this.channels = channels;
            this.flipSinToCos = flipSinToCos;
            this.freqShift = freqShift;
            this.linear1 = linear1;
            this.act = Activation.of(actFn, "act_fn");
            this.linear2 = linear2;
            this.postAct = postAct == null ? null : Activation.of(postAct, "timestep_post_act");
            this.embedAct = embedAct == null ? null : Activation.of(embedAct, "time_embedding_act_fn");
        }

        static TimestepEmbedding load(Weights w, Unet2dConditionConfig c, TensorParallel parallel) {
            int channels = c.blockOutChannels().get(0);
            int dim = c.timeEmbedDim();
            return new TimestepEmbedding(channels, c.flipSinToCos(), c.freqShift(),
                    Linear.load(w, "time_embedding.linear_1", channels, dim, parallel), c.actFn(),
                    Linear.load(w, "time_embedding.linear_2", dim, dim, parallel), c.timestepPostAct(),
                            c.timeEmbeddingActFn());
        }

        /** {@code time_embedding.linear_1/2} of width {@code dim} over {@code channels} sinusoids, no extra activations. */
        public static TimestepEmbedding load(Weights w, int channels, int dim, boolean flipSinToCos, double freqShift,
                String actFn, TensorParallel parallel) {
            return new TimestepEmbedding(channels, flipSinToCos, freqShift,
                    Linear.load(w, "time_embedding.linear_1", channels, dim, parallel), actFn,
                    Linear.load(w, "time_embedding.linear_2", dim, dim, parallel), null, null);
        }

        /** Puts {@code time_embedding.linear_1} and {@code linear_2}'s tensors into {@code out}. */
        public void parameters(Map<String, NDArray> out) {
            linear1.parameters("time_embedding.linear_1", out);
            linear2.parameters("time_embedding.linear_2", out);
        }

        /** {@code [B]} timesteps -> {@code [B, time_embed_dim]}, in the type of the weights. */
        public NDArray forward(NDArray timesteps) {
            return forward(timesteps, null);
        }

        /**
         * As {@link #forward(NDArray)}, with {@code added} ({@code [B, time_embed_dim]}, the UNet's
         * addition embedding, or {@code null}) summed in before {@code time_embedding_act_fn}, where
         * diffusers adds it.
         */
        NDArray forward(NDArray timesteps, NDArray added) {
            // sinusoids in float32 (large timesteps times small frequencies), then the weights' type,
            // as diffusers' `t_emb.to(dtype=sample.dtype)`
            NDArray features = sinusoids(timesteps).toType(linear1.dataType(), false);
            NDArray h = linear2.forward(act.apply(linear1.forward(features)));
            if (postAct != null) {
                h = postAct.apply(h);
            }
            if (added != null) {
                h = h.add(added);
            }
            return embedAct == null ? h : embedAct.apply(h);
        }

        /** {@code [B]} -> {@code [B, channels]}: {@code exp(-ln(10000) i / (half - freq_shift))} frequencies, in float32 as diffusers computes them. */
        private NDArray sinusoids(NDArray timesteps) {
            int half = channels / 2;
            NDArray t = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1); // [B, 1]
            NDArray frequencies = t.getManager().arange(0, half, 1, DataType.FLOAT32)
                    .mul((float) -Math.log(10000)).div((float) (half - freqShift)).exp().reshape(1, half);
            NDArray angles = t.mul(frequencies); // [B, half]
            NDArray sin = angles.sin();
            NDArray cos = angles.cos();
            NDArray emb = flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1) : NDArrays.concat(new NDList(sin, cos), 1);
            return channels % 2 == 0 ? emb : emb.pad(new Shape(0, 1), 0);
        }
    }
}
