package org.mix4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.diffusion.layers.GroupNorm;
import org.mix4j.diffusion.layers.MultiHeadAttention;
import org.mix4j.nn.Activation;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Linear;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;
import org.mix4j.nn.Autograd;

/**
 * diffusers {@code Transformer2DModel} on continuous inputs, as the SD UNet uses it: GroupNorm,
 * {@code proj_in}, {@code BasicTransformerBlock}s (self-attention, cross-attention to the text
 * embedding, GEGLU feed-forward, each pre-LayerNorm and residual), {@code proj_out}, plus the
 * input. Rombach et al., "High-Resolution Image Synthesis with Latent Diffusion Models" (2022);
 * diffusers 0.31 {@code transformers/transformer_2d.py} and {@code attention.py}.
 */
public final class Transformer2d {

    private static final double GROUP_NORM_EPS = 1e-6;
    private static final double LAYER_NORM_EPS = 1e-5;

    private final GroupNorm norm;
    private final Linear projIn;
    private final List<BasicTransformerBlock> transformerBlocks;
    private final Linear projOut;

    private Transformer2d(GroupNorm norm, Linear projIn, List<BasicTransformerBlock> transformerBlocks, Linear projOut) {
        this.norm = norm;
        this.projIn = projIn;
        this.transformerBlocks = transformerBlocks;
        this.projOut = projOut;
    }

    /** What the transformers of one UNet block share. */
    public record Spec(int heads, int layers, long crossAttentionDim, int groups, boolean linearProjection,
            boolean onlyCrossAttention) {}

    /** Loads {@code prefix + norm, proj_in, transformer_blocks.i, proj_out} for {@code channels} channels. */
    static Transformer2d load(Weights w, String prefix, long channels, Spec spec, TensorParallel parallel) {
        if (spec.heads() <= 0 || channels < spec.heads()) {
            throw new IllegalArgumentException(prefix + ": " + spec.heads() + " attention heads for " + channels
                    + " channels (attention_head_dim is the number of heads in UNet2DConditionModel configs)");
        }
        int dimHead = (int) (channels / spec.heads());
        long inner = (long) spec.heads() * dimHead;
        List<BasicTransformerBlock> blocks = new ArrayList<>();
        for (int i = 0; i < spec.layers(); i++) {
            blocks.add(BasicTransformerBlock.load(w, prefix + "transformer_blocks." + i + ".", inner, dimHead, spec,
                    parallel));
        }
        return new Transformer2d(
                GroupNorm.load(w, prefix + "norm", spec.groups(), channels, GROUP_NORM_EPS),
                projection(w, prefix + "proj_in", channels, inner, spec.linearProjection(), parallel),
                blocks,
                projection(w, prefix + "proj_out", inner, channels, spec.linearProjection(), parallel));
    }

    /**
     * {@code proj_in} / {@code proj_out} as a Linear on tokens: a 1x1 convolution on the image is the
     * same map, so its {@code [out, in, 1, 1]} kernel is read as {@code [out, in]} (and listed as stored).
     */
    private static Linear projection(Weights w, String name, long in, long out, boolean linear,
            TensorParallel parallel) {
        if (linear) {
            return Linear.load(w, name, in, out, parallel);
        }
        Linear kernel = Linear.ofKernel(w.get(name + ".weight", new Shape(out, in, 1, 1)),
                w.get(name + ".bias", new Shape(out)), parallel);
        w.report().kernelProjection(w.prefix() + name, kernel.whole()); // a per-call LoRA may adapt it
        return kernel;
    }

    /** Puts the tensors under {@code prefix} ({@code norm}, {@code proj_in}, {@code transformer_blocks.i.*}, {@code proj_out}) into {@code out}. */
    void parameters(String prefix, Map<String, NDArray> out) {
        norm.parameters(prefix + "norm", out);
        projIn.parameters(prefix + "proj_in", out);
        for (int i = 0; i < transformerBlocks.size(); i++) {
            transformerBlocks.get(i).parameters(prefix + "transformer_blocks." + i + ".", out);
        }
        projOut.parameters(prefix + "proj_out", out);
    }

    /**
     * @param x {@code [B, C, H, W]}
     * @param context {@code [B, T, cross_attention_dim]}
     * @return {@code [B, C, H, W]}
     */
    NDArray forward(NDArray x, NDArray context) {
        return Scopes.run(() -> {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(1);
            long h = s.get(2);
            long wd = s.get(3);
            NDArray tokens = norm.forward(x).transpose(0, 2, 3, 1).reshape(b, h * wd, c); // [B, HW, C]
            tokens = projIn.forward(tokens); // [B, HW, inner]
            for (BasicTransformerBlock block : transformerBlocks) {
                tokens = block.forward(tokens, context);
            }
            tokens = projOut.forward(tokens); // [B, HW, C]
            return tokens.reshape(b, h, wd, c).transpose(0, 3, 1, 2).add(x); // [B, C, H, W]
        }, x, context);
    }

    /** Self-attention, cross-attention and a GEGLU feed-forward, each after a LayerNorm and added back. */
    static final class BasicTransformerBlock {

        private final LayerNorm norm1;
        private final MultiHeadAttention attn1;
        private final LayerNorm norm2;
        private final MultiHeadAttention attn2;
        private final LayerNorm norm3;
        private final FeedForward ff;
        private final boolean onlyCrossAttention;

        private BasicTransformerBlock(LayerNorm norm1, MultiHeadAttention attn1, LayerNorm norm2, MultiHeadAttention attn2,
                LayerNorm norm3, FeedForward ff, boolean onlyCrossAttention) {
            this.norm1 = norm1;
            this.attn1 = attn1;
            this.norm2 = norm2;
            this.attn2 = attn2;
            this.norm3 = norm3;
            this.ff = ff;
            this.onlyCrossAttention = onlyCrossAttention;
        }

        static BasicTransformerBlock load(Weights w, String prefix, long dim, int dimHead, Spec spec,
                TensorParallel parallel) {
            long attn1Context = spec.onlyCrossAttention() ? spec.crossAttentionDim() : dim;
            return new BasicTransformerBlock(
                    LayerNorm.load(w, prefix + "norm1", dim, LAYER_NORM_EPS),
                    MultiHeadAttention.load(w, prefix + "attn1.", dim, attn1Context, spec.heads(), dimHead, false,
                            parallel),
                    LayerNorm.load(w, prefix + "norm2", dim, LAYER_NORM_EPS),
                    MultiHeadAttention.load(w, prefix + "attn2.", dim, spec.crossAttentionDim(), spec.heads(),
                            dimHead, false, parallel),
                    LayerNorm.load(w, prefix + "norm3", dim, LAYER_NORM_EPS),
                    FeedForward.load(w, prefix + "ff.", dim, parallel),
                    spec.onlyCrossAttention());
        }

        void parameters(String prefix, Map<String, NDArray> out) {
            norm1.parameters(prefix + "norm1", out);
            attn1.parameters(prefix + "attn1.", out);
            norm2.parameters(prefix + "norm2", out);
            attn2.parameters(prefix + "attn2.", out);
            norm3.parameters(prefix + "norm3", out);
            ff.proj.parameters(prefix + "ff.net.0.proj", out);
            ff.out.parameters(prefix + "ff.net.2", out);
        }

        /** {@code [B, N, dim]} -> same shape. */
        NDArray forward(NDArray x, NDArray context) {
            // each residual is added into the sub-layer's fresh output
            NDArray h = Autograd.addi(attn1.forward(norm1.forward(x), onlyCrossAttention ? context : null), x);
            h = Autograd.addi(attn2.forward(norm2.forward(h), context), h);
            return Autograd.addi(ff.forward(norm3.forward(h)), h);
        }
    }

    /** {@code ff.net.0.proj} (GEGLU: half of it gates the other half through exact GELU), {@code ff.net.2}. */
    static final class FeedForward {

        private final Linear proj;
        private final Linear out;

        private FeedForward(Linear proj, Linear out) {
            this.proj = proj;
            this.out = out;
        }

        static FeedForward load(Weights w, String prefix, long dim, TensorParallel parallel) {
            long inner = 4 * dim;
            return new FeedForward(Linear.load(w, prefix + "net.0.proj", dim, 2 * inner, parallel),
                    Linear.load(w, prefix + "net.2", inner, dim, parallel));
        }

        NDArray forward(NDArray x) {
            NDArray projected = proj.forward(x);
            NDList halves = projected.split(2, projected.getShape().dimension() - 1); // [B, N, inner] x 2
            return out.forward(Autograd.muli(Activation.GELU.apply(halves.get(1)), halves.get(0)));
        }
    }
}
