package org.mix4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;
import org.mix4j.api.Trainable;
import org.mix4j.diffusion.layers.Conv2d;
import org.mix4j.diffusion.layers.Downsample2d;
import org.mix4j.diffusion.layers.GroupNorm;
import org.mix4j.diffusion.layers.MultiHeadAttention;
import org.mix4j.diffusion.layers.ResnetBlock2d;
import org.mix4j.diffusion.layers.Upsample2d;
import org.mix4j.nn.Activation;
import org.mix4j.nn.Linear;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * The KL-regularised autoencoder of latent diffusion: diffusers 0.31 {@code AutoencoderKL}
 * ({@code autoencoders/autoencoder_kl.py}, {@code vae.py}), with its tiled encode and decode.
 * Rombach et al., "High-Resolution Image Synthesis with Latent Diffusion Models" (2022).
 */
public final class AutoencoderKl implements Autoencoder, Trainable {

    /** diffusers builds every norm of the VAE with this epsilon, whatever the config says. */
    private static final double EPS = 1e-6;

    private final AutoencoderKlConfig config;
    private final NDManager manager;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    public AutoencoderKl(AutoencoderKlConfig config, Weights w, NDManager manager, TensorParallel parallel) {
        this.config = config;
        this.manager = manager;
        ResnetBlock2d.Spec resnet = new ResnetBlock2d.Spec(config.normNumGroups(), EPS,
                Activation.of(config.actFn(), "act_fn"), null, 1.0, false);
        int latent2 = 2 * config.latentChannels();
        this.encoder = Encoder.load(w.child("encoder."), config, resnet, parallel);
        this.decoder = Decoder.load(w.child("decoder."), config, resnet, parallel);
        this.quantConv = config.useQuantConv() ? Conv2d.load(w, "quant_conv", latent2, latent2, 1, 1, 0,
                parallel) : null;
        this.postQuantConv = config.usePostQuantConv()
                ? Conv2d.load(w, "post_quant_conv", config.latentChannels(), config.latentChannels(), 1, 1, 0,
                        parallel) : null;
    }

    /**
     * {@code [B, in_channels, H, W]} pixels in [-1, 1] -> the posterior's mean and std, each
     * {@code [B, latent_channels, H / scale, W / scale]} ({@code logvar} clamped to [-30, 20]).
     * Tiled when tiling is enabled and the image is larger than a tile.
     */
    @Override
    public LatentDistribution encode(NDArray pixels) {
        NDList meanStd = Scopes.runList(() -> {
            NDArray moments = useTiles(pixels, config.tileSampleMinSize())
                    ? VaeTiling.run(pixels, config.tileSampleMinSize(), config.tileLatentMinSize(),
                            config.tileOverlapFactor(), this::moments)
                    : moments(pixels);
            NDList halves = moments.split(2, 1); // mean, logvar: [B, C, h, w] each
            NDArray std = halves.get(1).clip(-30f, 20f).mul(0.5f).exp();
            return new NDList(halves.get(0), std);
        }, pixels);
        return new LatentDistribution(meanStd.get(0), meanStd.get(1));
    }

    /**
     * Unscaled latents {@code [B, latent_channels, h, w]} -> pixels {@code [B, out_channels, h * scale, w * scale]}.
     * Tiled when tiling is enabled and the latent is larger than a tile.
     */
    @Override
    public NDArray decode(NDArray latents) {
        if (useTiles(latents, config.tileLatentMinSize())) {
            return VaeTiling.run(latents, config.tileLatentMinSize(), config.tileSampleMinSize(),
                    config.tileOverlapFactor(), this::decodeTile);
        }
        return decodeTile(latents);
    }

    private boolean useTiles(NDArray x, int tile) {
        Shape s = x.getShape();
        return config.tilingEnabled() && (s.get(2) > tile || s.get(3) > tile);
    }

    /** Encoder and {@code quant_conv}: {@code [B, 2 * latent_channels, h, w]}. */
    private NDArray moments(NDArray pixels) {
        return Scopes.run(() -> {
            NDArray h = encoder.forward(pixels.toType(dtype(), false)); // the weights' type; no-op in float32
            return quantConv == null ? h : quantConv.forward(h);
        }, pixels);
    }

    /** {@code post_quant_conv} and decoder. */
    private NDArray decodeTile(NDArray latents) {
        return Scopes.run(() -> {
            NDArray z = latents.toType(dtype(), false); // the weights' type; no-op in float32
            return decoder.forward(postQuantConv == null ? z : postQuantConv.forward(z));
        }, latents);
    }

    /** The type the weights, and so every activation, have. */
    private DataType dtype() {
        return decoder.dataType();
    }

    @Override
    public double scalingFactor() {
        return config.scalingFactor();
    }

    @Override
    public double shiftFactor() {
        return config.shiftFactor() == null ? 0 : config.shiftFactor();
    }

    @Override
    public int scaleFactor() {
        return config.scaleFactor();
    }

    public AutoencoderKlConfig config() {
        return config;
    }

    /** Every tensor under its diffusers name; the mid block's attention under {@code to_q} ... {@code to_out.0}. */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        encoder.parameters("encoder.", out);
        decoder.parameters("decoder.", out);
        if (quantConv != null) {
            quantConv.parameters("quant_conv", out);
        }
        if (postQuantConv != null) {
            postQuantConv.parameters("post_quant_conv", out);
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** {@code conv_in}, {@code DownEncoderBlock2D}s, mid block, {@code conv_norm_out}, act, {@code conv_out} (mean and logvar). */
    static final class Encoder {

        private final Conv2d convIn;
        private final List<CodecBlock> downBlocks;
        private final MidBlock midBlock;
        private final GroupNorm convNormOut;
        private final UnaryOperator<NDArray> convAct;
        private final Conv2d convOut;

        private Encoder(Conv2d convIn, List<CodecBlock> downBlocks, MidBlock midBlock, GroupNorm convNormOut,
                UnaryOperator<NDArray> convAct, Conv2d convOut) {
            this.convIn = convIn;
            this.downBlocks = downBlocks;
            this.midBlock = midBlock;
            this.convNormOut = convNormOut;
            this.convAct = convAct;
            this.convOut = convOut;
        }

        static Encoder load(Weights w, AutoencoderKlConfig c, ResnetBlock2d.Spec resnet, TensorParallel parallel) {
            List<Integer> ch = c.blockOutChannels();
            int last = ch.size() - 1;
            List<CodecBlock> blocks = new ArrayList<>();
            for (int i = 0; i <= last; i++) {
                String prefix = "down_blocks." + i + ".";
                List<ResnetBlock2d> resnets = new ArrayList<>();
                for (int j = 0; j < c.layersPerBlock(); j++) {
                    long in = j == 0 ? ch.get(Math.max(i - 1, 0)) : ch.get(i);
                    resnets.add(ResnetBlock2d.load(w, prefix + "resnets." + j + ".", in, ch.get(i), resnet, parallel));
                }
                // padding 0: diffusers pads (0, 1, 0, 1) before the stride-2 conv
                Downsample2d down = i == last ? null : Downsample2d.load(w, prefix + "downsamplers.0.", ch.get(i), 0,
                        parallel);
                blocks.add(new CodecBlock(resnets, down == null ? null : down::forward, down == null ? null : down::parameters));
            }
            return new Encoder(
                    Conv2d.same(w, "conv_in", c.inChannels(), ch.get(0), 3, parallel),
                    blocks,
                    MidBlock.load(w, "mid_block.", ch.get(last), resnet, c.midBlockAddAttention(), parallel),
                    GroupNorm.load(w, "conv_norm_out", c.normNumGroups(), ch.get(last), EPS),
                    Activation.of(c.actFn(), "act_fn"),
                    Conv2d.same(w, "conv_out", ch.get(last), 2L * c.latentChannels(), 3, parallel));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            convIn.parameters(prefix + "conv_in", out);
            for (int i = 0; i < downBlocks.size(); i++) {
                downBlocks.get(i).parameters(prefix + "down_blocks." + i + ".", "downsamplers.0.", out);
            }
            midBlock.parameters(prefix + "mid_block.", out);
            convNormOut.parameters(prefix + "conv_norm_out", out);
            convOut.parameters(prefix + "conv_out", out);
        }

        NDArray forward(NDArray pixels) {
            NDArray h = convIn.forward(pixels);
            for (CodecBlock block : downBlocks) {
                h = Scopes.then(h, block.forward(h)); // each activation closed once the next exists
            }
            h = Scopes.then(h, midBlock.forward(h));
            h = Scopes.then(h, convNormOut.forward(h));
            h = Scopes.then(h, convAct.apply(h));
            return Scopes.then(h, convOut.forward(h));
        }
    }

    /** {@code conv_in}, mid block, {@code UpDecoderBlock2D}s, {@code conv_norm_out}, act, {@code conv_out}. */
    static final class Decoder {

        private final Conv2d convIn;
        private final MidBlock midBlock;
        private final List<CodecBlock> upBlocks;
        private final GroupNorm convNormOut;
        private final UnaryOperator<NDArray> convAct;
        private final Conv2d convOut;

        private Decoder(Conv2d convIn, MidBlock midBlock, List<CodecBlock> upBlocks, GroupNorm convNormOut,
                UnaryOperator<NDArray> convAct, Conv2d convOut) {
            this.convIn = convIn;
            this.midBlock = midBlock;
            this.upBlocks = upBlocks;
            this.convNormOut = convNormOut;
            this.convAct = convAct;
            this.convOut = convOut;
        }

        static Decoder load(Weights w, AutoencoderKlConfig c, ResnetBlock2d.Spec resnet, TensorParallel parallel) {
            List<Integer> ch = c.blockOutChannels();
            int last = ch.size() - 1;
            List<CodecBlock> blocks = new ArrayList<>();
            for (int i = 0; i <= last; i++) {
                String prefix = "up_blocks." + i + ".";
                long out = ch.get(last - i);
                List<ResnetBlock2d> resnets = new ArrayList<>();
                for (int j = 0; j <= c.layersPerBlock(); j++) {
                    long in = j == 0 ? ch.get(last - Math.max(i - 1, 0)) : out;
                    resnets.add(ResnetBlock2d.load(w, prefix + "resnets." + j + ".", in, out, resnet, parallel));
                }
                Upsample2d up = i == last ? null : Upsample2d.load(w, prefix + "upsamplers.0.", out, parallel);
                blocks.add(new CodecBlock(resnets, up == null ? null : x -> up.forward(x, null),
                        up == null ? null : up::parameters));
            }
            return new Decoder(
                    Conv2d.same(w, "conv_in", c.latentChannels(), ch.get(last), 3, parallel),
                    MidBlock.load(w, "mid_block.", ch.get(last), resnet, c.midBlockAddAttention(), parallel),
                    blocks,
                    GroupNorm.load(w, "conv_norm_out", c.normNumGroups(), ch.get(0), EPS),
                    Activation.of(c.actFn(), "act_fn"),
                    Conv2d.same(w, "conv_out", ch.get(0), c.outChannels(), 3, parallel));
        }

        DataType dataType() {
            return convIn.dataType();
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            convIn.parameters(prefix + "conv_in", out);
            midBlock.parameters(prefix + "mid_block.", out);
            for (int i = 0; i < upBlocks.size(); i++) {
                upBlocks.get(i).parameters(prefix + "up_blocks." + i + ".", "upsamplers.0.", out);
            }
            convNormOut.parameters(prefix + "conv_norm_out", out);
            convOut.parameters(prefix + "conv_out", out);
        }

        NDArray forward(NDArray latents) {
            NDArray h = convIn.forward(latents);
            h = Scopes.then(h, midBlock.forward(h));
            for (CodecBlock block : upBlocks) {
                h = Scopes.then(h, block.forward(h)); // each activation closed once the next exists
            }
            h = Scopes.then(h, convNormOut.forward(h));
            h = Scopes.then(h, convAct.apply(h));
            return Scopes.then(h, convOut.forward(h));
        }
    }

    /** {@code DownEncoderBlock2D} / {@code UpDecoderBlock2D}: resnets without time embedding, then a resampler. */
    record CodecBlock(List<ResnetBlock2d> resnets, UnaryOperator<NDArray> resampler,
            BiConsumer<String, Map<String, NDArray>> resamplerParameters) {

        void parameters(String prefix, String resamplerName, Map<String, NDArray> out) {
            for (int j = 0; j < resnets.size(); j++) {
                resnets.get(j).parameters(prefix + "resnets." + j + ".", out);
            }
            if (resamplerParameters != null) {
                resamplerParameters.accept(prefix + resamplerName, out);
            }
        }

        NDArray forward(NDArray x) {
            NDArray h = x;
            for (ResnetBlock2d resnet : resnets) {
                NDArray next = resnet.forward(h, null);
                h = h == x ? next : Scopes.then(h, next); // the block's input belongs to the caller
            }
            if (resampler == null) {
                return h;
            }
            NDArray resampled = resampler.apply(h);
            return h == x ? resampled : Scopes.then(h, resampled);
        }
    }

    /** {@code UNetMidBlock2D}: resnet, single-head spatial self-attention (optional), resnet. */
    static final class MidBlock {

        private final ResnetBlock2d first;
        private final SpatialAttention attention;
        private final ResnetBlock2d second;

        private MidBlock(ResnetBlock2d first, SpatialAttention attention, ResnetBlock2d second) {
            this.first = first;
            this.attention = attention;
            this.second = second;
        }

        static MidBlock load(Weights w, String prefix, long channels, ResnetBlock2d.Spec resnet, boolean addAttention,
                TensorParallel parallel) {
            return new MidBlock(
                    ResnetBlock2d.load(w, prefix + "resnets.0.", channels, channels, resnet, parallel),
                    addAttention ? SpatialAttention.load(w, prefix + "attentions.0.", channels, resnet.groups(),
                            parallel) : null,
                    ResnetBlock2d.load(w, prefix + "resnets.1.", channels, channels, resnet, parallel));
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            first.parameters(prefix + "resnets.0.", out);
            if (attention != null) {
                attention.parameters(prefix + "attentions.0.", out);
            }
            second.parameters(prefix + "resnets.1.", out);
        }

        NDArray forward(NDArray x) {
            NDArray h = first.forward(x, null);
            if (attention != null) {
                h = Scopes.then(h, attention.forward(h));
            }
            return Scopes.then(h, second.forward(h, null));
        }
    }

    /**
     * The VAE's attention block: GroupNorm, one head over all positions, {@code to_out.0}, plus the
     * input. Older checkpoints name the projections {@code query/key/value/proj_attn}, and the
     * original LDM layout stores them as 1x1 convolutions; all are read.
     */
    static final class SpatialAttention {

        private final GroupNorm groupNorm;
        private final MultiHeadAttention attention;

        private SpatialAttention(GroupNorm groupNorm, MultiHeadAttention attention) {
            this.groupNorm = groupNorm;
            this.attention = attention;
        }

        static SpatialAttention load(Weights w, String prefix, long channels, int groups, TensorParallel parallel) {
            return new SpatialAttention(
                    GroupNorm.load(w, prefix + "group_norm", groups, channels, EPS),
                    new MultiHeadAttention(
                            projection(w, prefix, "to_q", "query", channels, parallel),
                            projection(w, prefix, "to_k", "key", channels, parallel),
                            projection(w, prefix, "to_v", "value", channels, parallel),
                            projection(w, prefix, "to_out.0", "proj_attn", channels, parallel),
                            1, (int) channels, parallel));
        }

        private static Linear projection(Weights w, String prefix, String name, String legacyName, long channels,
                TensorParallel parallel) {
            String key = !w.contains(prefix + name + ".weight") && w.contains(prefix + legacyName + ".weight")
                    ? prefix + legacyName : prefix + name;
            Shape stored = w.shape(key + ".weight");
            NDArray weight = stored != null && stored.dimension() == 4
                    ? w.get(key + ".weight", new Shape(channels, channels, 1, 1)).reshape(channels, channels)
                    : w.get(key + ".weight", new Shape(channels, channels));
            return Linear.of(weight, w.get(key + ".bias", new Shape(channels)), parallel);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            groupNorm.parameters(prefix + "group_norm", out);
            attention.parameters(prefix, out);
        }

        /** {@code [B, C, H, W]} -> same shape. */
        NDArray forward(NDArray x) {
            return Scopes.run(() -> {
                Shape s = x.getShape();
                NDArray tokens = groupNorm.forward(x).reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1); // [B, HW, C]
                NDArray attended = attention.forward(tokens, null); // [B, HW, C]
                return attended.transpose(0, 2, 1).reshape(s).add(x);
            }, x);
        }
    }
}
