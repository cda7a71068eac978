package org.mix4j.cli.bench;

import java.util.List;
import org.mix4j.diffusion.unet.Unet2dConditionConfig;
import org.mix4j.diffusion.vae.AutoencoderKlConfig;

/**
 * FLOPs in the convolutions and matrix products of a UNet step and a VAE decode, counted from the
 * configs by walking the same blocks as {@code Unet2dCondition} and {@code AutoencoderKl}. A
 * multiply-add counts as 2 FLOPs; norms, activations, softmax and additions are left out (they are
 * the "outside the kernels" work a profile shows separately).
 */
public final class DiffusionFlops {

    private DiffusionFlops() {}

    /** {@code k x k} convolution, {@code in -> out} channels, producing {@code h x w} per image. */
    static double conv(long batch, long in, long out, int k, long h, long w) {
        return 2.0 * batch * in * out * k * k * h * w;
    }

    /** Linear map on {@code tokens} positions. */
    static double linear(long tokens, long in, long out) {
        return 2.0 * tokens * in * out;
    }

    /** Attention products {@code Q K^T} and {@code P V} of {@code n} queries over {@code m} keys, total width {@code inner}. */
    static double attention(long batch, long n, long m, long inner) {
        return 2.0 * 2.0 * batch * n * m * inner;
    }

    /** {@code ResnetBlock2D}: conv1, time projection, conv2, 1x1 shortcut when the width changes. */
    static double resnet(long batch, long in, long out, long h, long w, long temb) {
        double f = conv(batch, in, out, 3, h, w) + conv(batch, out, out, 3, h, w);
        if (temb > 0) {
            f += linear(batch, temb, out);
        }
        return in == out ? f : f + conv(batch, in, out, 1, h, w);
    }

    /** {@code Transformer2DModel}: proj_in, blocks (self-attn, cross-attn, GEGLU FF), proj_out. */
    static double transformer(long batch, long c, long h, long w, int layers, long contextLength, long crossDim,
            boolean onlyCross) {
        long n = batch * h * w;
        double blocks = 0;
        for (int i = 0; i < layers; i++) {
            long selfKeys = onlyCross ? contextLength : h * w;
            long selfKeyDim = onlyCross ? crossDim : c;
            double attn1 = linear(n, c, c) + 2 * linear(batch * selfKeys, selfKeyDim, c) + linear(n, c, c)
                    + attention(batch, h * w, selfKeys, c);
            double attn2 = linear(n, c, c) + 2 * linear(batch * contextLength, crossDim, c) + linear(n, c, c)
                    + attention(batch, h * w, contextLength, c);
            double ff = linear(n, c, 8 * c) + linear(n, 4 * c, c);
            blocks += attn1 + attn2 + ff;
        }
        return linear(n, c, c) + blocks + linear(n, c, c);
    }

    /** One UNet forward over {@code batch} latents of {@code h x w} with a {@code contextLength}-token condition. */
    public static double unetStep(Unet2dConditionConfig c, long batch, long h, long w, long contextLength) {
        List<Integer> ch = c.blockOutChannels();
        int blocks = ch.size();
        long temb = c.timeEmbedDim();
        long tembOut = "scale_shift".equals(c.resnetTimeScaleShift()) ? 2 : 1;
        double f = linear(batch, ch.get(0), temb) + linear(batch, temb, temb);
        f += conv(batch, c.inChannels(), ch.get(0), c.convInKernel(), h, w);
        long rh = h;
        long rw = w;
        for (int i = 0; i < blocks; i++) {
            long out = ch.get(i);
            boolean cross = c.downBlockTypes().get(i).equals("CrossAttnDownBlock2D");
            for (int j = 0; j < c.layersPerBlock().get(i); j++) {
                long in = j == 0 ? ch.get(Math.max(i - 1, 0)) : out;
                f += resnet(batch, in, out, rh, rw, temb * tembOut);
                if (cross) {
                    f += transformer(batch, out, rh, rw, c.transformerLayersPerBlock().get(i), contextLength,
                            c.crossAttentionDim().get(i), c.onlyCrossAttention().get(i));
                }
            }
            if (i < blocks - 1) {
                rh = (rh + 1) / 2; // 3x3, stride 2, padding 1
                rw = (rw + 1) / 2;
                f += conv(batch, out, out, 3, rh, rw);
            }
        }
        int last = blocks - 1;
        long mid = ch.get(last);
        if (!c.midBlockType().equals("none")) {
            f += resnet(batch, mid, mid, rh, rw, temb * tembOut);
            if (c.midBlockType().equals("UNetMidBlock2DCrossAttn")) {
                f += transformer(batch, mid, rh, rw, c.transformerLayersPerBlock().get(last), contextLength,
                        c.crossAttentionDim().get(last), c.onlyCrossAttention().get(last));
                f += resnet(batch, mid, mid, rh, rw, temb * tembOut);
            }
        }
        for (int i = 0; i < blocks; i++) {
            int down = last - i;
            long out = ch.get(down);
            long prevOut = ch.get(i == 0 ? last : down + 1);
            long skipIn = ch.get(Math.max(down - 1, 0));
            boolean cross = c.upBlockTypes().get(i).equals("CrossAttnUpBlock2D");
            int layers = c.layersPerBlock().get(down) + 1;
            for (int j = 0; j < layers; j++) {
                long skip = j == layers - 1 ? skipIn : out;
                long resnetIn = j == 0 ? prevOut : out;
                f += resnet(batch, resnetIn + skip, out, rh, rw, temb * tembOut);
                if (cross) {
                    f += transformer(batch, out, rh, rw, c.transformerLayersPerBlock().get(down), contextLength,
                            c.crossAttentionDim().get(down), c.onlyCrossAttention().get(down));
                }
            }
            if (i < last) {
                rh *= 2;
                rw *= 2;
                f += conv(batch, out, out, 3, rh, rw);
            }
        }
        return f + conv(batch, ch.get(0), c.outChannels(), c.convOutKernel(), h, w);
    }

    /** One untiled VAE decode of {@code batch} latents of {@code h x w}: post_quant_conv and the decoder. */
    public static double vaeDecode(AutoencoderKlConfig c, long batch, long h, long w) {
        List<Integer> ch = c.blockOutChannels();
        int last = ch.size() - 1;
        long top = ch.get(last);
        double f = c.usePostQuantConv() ? conv(batch, c.latentChannels(), c.latentChannels(), 1, h, w) : 0;
        f += conv(batch, c.latentChannels(), top, 3, h, w);
        f += 2 * resnet(batch, top, top, h, w, 0);
        if (c.midBlockAddAttention()) {
            long n = batch * h * w;
            f += 4 * linear(n, top, top) + attention(batch, h * w, h * w, top);
        }
        long rh = h;
        long rw = w;
        for (int i = 0; i <= last; i++) {
            long out = ch.get(last - i);
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                long in = j == 0 ? ch.get(last - Math.max(i - 1, 0)) : out;
                f += resnet(batch, in, out, rh, rw, 0);
            }
            if (i < last) {
                rh *= 2;
                rw *= 2;
                f += conv(batch, out, out, 3, rh, rw);
            }
        }
        return f + conv(batch, ch.get(0), c.outChannels(), 3, rh, rw);
    }

    /**
     * A tiled VAE decode as {@code VaeTiling} runs it: tiles of {@code tile} latents every
     * {@code int(tile * (1 - overlap))}, clipped at the edges, each decoded on its own.
     */
    public static double vaeTiledDecode(AutoencoderKlConfig c, long batch, long h, long w) {
        int tile = c.tileLatentMinSize();
        int stride = (int) (tile * (1 - c.tileOverlapFactor()));
        double f = 0;
        for (long i = 0; i < h; i += stride) {
            for (long j = 0; j < w; j += stride) {
                f += vaeDecode(c, batch, Math.min(tile, h - i), Math.min(tile, w - j));
            }
        }
        return f;
    }
}
