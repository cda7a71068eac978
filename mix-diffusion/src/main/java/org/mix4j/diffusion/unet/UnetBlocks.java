package org.mix4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.diffusion.layers.Downsample2d;
import org.mix4j.diffusion.layers.ResnetBlock2d;
import org.mix4j.diffusion.layers.Upsample2d;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * The down, mid and up blocks of diffusers' UNet2DConditionModel (0.31
 * {@code unets/unet_2d_blocks.py}): {@code CrossAttnDownBlock2D} / {@code DownBlock2D},
 * {@code UNetMidBlock2DCrossAttn} / {@code UNetMidBlock2D}, {@code CrossAttnUpBlock2D} /
 * {@code UpBlock2D}. A plain block is the cross-attention block without transformers.
 */
public final class UnetBlocks {

    private UnetBlocks() {}

    /** {@code prefix + resnets.i.*} and {@code prefix + attentions.i.*} into {@code out}. */
    private static void parameters(List<ResnetBlock2d> resnets, List<Transformer2d> attentions, String prefix,
            Map<String, NDArray> out) {
        for (int i = 0; i < resnets.size(); i++) {
            resnets.get(i).parameters(prefix + "resnets." + i + ".", out);
        }
        for (int i = 0; i < attentions.size(); i++) {
            attentions.get(i).parameters(prefix + "attentions." + i + ".", out);
        }
    }

    /** Resnets (each followed by a transformer in the cross-attention variant), then a downsampler. */
    public static final class DownBlock {

        private final List<ResnetBlock2d> resnets;
        private final List<Transformer2d> attentions;
        private final Downsample2d downsampler;

        private DownBlock(List<ResnetBlock2d> resnets, List<Transformer2d> attentions, Downsample2d downsampler) {
            this.resnets = resnets;
            this.attentions = attentions;
            this.downsampler = downsampler;
        }

        /**
         * @param transformer the transformers' spec, or {@code null} for {@code DownBlock2D}
         * @param downsamplePadding {@code -1} for the last block, which keeps its resolution
         */
        public static DownBlock load(Weights w, String prefix, long in, long out, int layers, ResnetBlock2d.Spec resnet,
                Transformer2d.Spec transformer, int downsamplePadding, TensorParallel parallel) {
            List<ResnetBlock2d> resnets = new ArrayList<>();
            List<Transformer2d> attentions = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                resnets.add(ResnetBlock2d.load(w, prefix + "resnets." + i + ".", i == 0 ? in : out, out, resnet,
                        parallel));
                if (transformer != null) {
                    attentions.add(Transformer2d.load(w, prefix + "attentions." + i + ".", out, transformer, parallel));
                }
            }
            Downsample2d down = downsamplePadding < 0 ? null
                    : Downsample2d.load(w, prefix + "downsamplers.0.", out, downsamplePadding, parallel);
            return new DownBlock(resnets, attentions, down);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            UnetBlocks.parameters(resnets, attentions, prefix, out);
            if (downsampler != null) {
                downsampler.parameters(prefix + "downsamplers.0.", out);
            }
        }

        /** How many skip connections {@link #forward} adds. */
        public int skipCount() {
            return resnets.size() + (downsampler == null ? 0 : 1);
        }

        /** {@code [B, in, H, W]} -> {@code [B, out, H/2, W/2]}; appends each resnet's (and the downsampler's) output to {@code skips}. */
        public NDArray forward(NDArray x, NDArray temb, NDArray context, List<NDArray> skips) {
            NDArray h = x;
            for (int i = 0; i < resnets.size(); i++) {
                h = resnets.get(i).forward(h, temb);
                if (!attentions.isEmpty()) {
                    h = attentions.get(i).forward(h, context);
                }
                skips.add(h);
            }
            if (downsampler != null) {
                h = downsampler.forward(h);
                skips.add(h);
            }
            return h;
        }
    }

    /** A resnet, then (transformer, resnet) pairs; {@code UNetMidBlock2D} here has no pairs. */
    public static final class MidBlock {

        private final List<ResnetBlock2d> resnets;
        private final List<Transformer2d> attentions;

        private MidBlock(List<ResnetBlock2d> resnets, List<Transformer2d> attentions) {
            this.resnets = resnets;
            this.attentions = attentions;
        }

        /** @param transformer {@code null} for {@code UNetMidBlock2D} (a single resnet) */
        public static MidBlock load(Weights w, String prefix, long channels, ResnetBlock2d.Spec resnet,
                Transformer2d.Spec transformer, TensorParallel parallel) {
            List<ResnetBlock2d> resnets = new ArrayList<>();
            List<Transformer2d> attentions = new ArrayList<>();
            resnets.add(ResnetBlock2d.load(w, prefix + "resnets.0.", channels, channels, resnet, parallel));
            if (transformer != null) {
                attentions.add(Transformer2d.load(w, prefix + "attentions.0.", channels, transformer, parallel));
                resnets.add(ResnetBlock2d.load(w, prefix + "resnets.1.", channels, channels, resnet, parallel));
            }
            return new MidBlock(resnets, attentions);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            UnetBlocks.parameters(resnets, attentions, prefix, out);
        }

        public NDArray forward(NDArray x, NDArray temb, NDArray context) {
            NDArray h = resnets.get(0).forward(x, temb);
            for (int i = 0; i < attentions.size(); i++) {
                h = attentions.get(i).forward(h, context);
                h = resnets.get(i + 1).forward(h, temb);
            }
            return h;
        }
    }

    /** Per layer: concatenate the next skip connection, resnet (, transformer); then an upsampler. */
    static final class UpBlock {

        private final List<ResnetBlock2d> resnets;
        private final List<Transformer2d> attentions;
        private final Upsample2d upsampler;

        private UpBlock(List<ResnetBlock2d> resnets, List<Transformer2d> attentions, Upsample2d upsampler) {
            this.resnets = resnets;
            this.attentions = attentions;
            this.upsampler = upsampler;
        }

        /**
         * @param in channels of the matching down block's input (its skips' width at the last layer)
         * @param prevOut channels coming from the block below
         * @param transformer the transformers' spec, or {@code null} for {@code UpBlock2D}
         */
        static UpBlock load(Weights w, String prefix, long in, long out, long prevOut, int layers,
                ResnetBlock2d.Spec resnet, Transformer2d.Spec transformer, boolean addUpsample,
                        TensorParallel parallel) {
            List<ResnetBlock2d> resnets = new ArrayList<>();
            List<Transformer2d> attentions = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                long skip = i == layers - 1 ? in : out;
                long resnetIn = i == 0 ? prevOut : out;
                resnets.add(ResnetBlock2d.load(w, prefix + "resnets." + i + ".", resnetIn + skip, out, resnet,
                        parallel));
                if (transformer != null) {
                    attentions.add(Transformer2d.load(w, prefix + "attentions." + i + ".", out, transformer, parallel));
                }
            }
            Upsample2d up = addUpsample ? Upsample2d.load(w, prefix + "upsamplers.0.", out, parallel) : null;
            return new UpBlock(resnets, attentions, up);
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            UnetBlocks.parameters(resnets, attentions, prefix, out);
            if (upsampler != null) {
                upsampler.parameters(prefix + "upsamplers.0.", out);
            }
        }

        /** How many skip connections {@link #forward} takes. */
        int skipCount() {
            return resnets.size();
        }

        /**
         * @param skips the skip connections left; this block takes its last {@link #skipCount()}
         * @param upsampleSize target size of the upsampler, or {@code null} for 2x
         */
        NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray context, long[] upsampleSize) {
            NDArray h = x;
            for (int i = 0; i < resnets.size(); i++) {
                NDArray skip = skips.remove(skips.size() - 1);
                h = resnets.get(i).forward(h.concat(skip, 1), temb); // [B, C + C_skip, H, W] in
                if (!attentions.isEmpty()) {
                    h = attentions.get(i).forward(h, context);
                }
            }
            return upsampler == null ? h : upsampler.forward(h, upsampleSize);
        }
    }
}
