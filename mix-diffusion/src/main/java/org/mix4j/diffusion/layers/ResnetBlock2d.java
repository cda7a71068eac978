package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.function.UnaryOperator;
import org.mix4j.nn.Linear;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;
import org.mix4j.nn.Autograd;

/**
 * diffusers {@code ResnetBlock2D} (pre-norm): {@code GroupNorm -> act -> conv1 (+ time embedding)
 * -> GroupNorm -> act -> conv2}, added to the input (through a 1x1 {@code conv_shortcut} when the
 * channel count changes) and divided by {@code output_scale_factor}. Follows Ho et al., "Denoising
 * Diffusion Probabilistic Models" (2020), as implemented in diffusers 0.31 {@code models/resnet.py}.
 */
public final class ResnetBlock2d {

    /**
     * What every resnet of a network shares.
     *
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param act the non-linearity
     * @param tembChannels width of the time embedding, or {@code null} when the block takes none (VAE)
     * @param outputScaleFactor the sum is divided by it
     * @param scaleShift {@code resnet_time_scale_shift: scale_shift}: the time embedding scales and
     *     shifts the second norm's output instead of being added before it
     */
    public record Spec(int groups, double eps, UnaryOperator<NDArray> act, Integer tembChannels,
            double outputScaleFactor, boolean scaleShift) {

        public Spec withOutputScaleFactor(double factor) {
            return new Spec(groups, eps, act, tembChannels, factor, scaleShift);
        }
    }

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final Spec spec;

    private ResnetBlock2d(GroupNorm norm1, Conv2d conv1, Linear timeEmbProj, GroupNorm norm2, Conv2d conv2,
            Conv2d convShortcut, Spec spec) {
        this.norm1 = norm1;
        this.conv1 = conv1;
        this.timeEmbProj = timeEmbProj;
        this.norm2 = norm2;
        this.conv2 = conv2;
        this.convShortcut = convShortcut;
        this.spec = spec;
    }

    /** Loads {@code prefix + norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut}. */
    public static ResnetBlock2d load(Weights w, String prefix, long in, long out, Spec spec, TensorParallel parallel) {
        Linear timeEmbProj = spec.tembChannels() == null ? null
                : Linear.load(w, prefix + "time_emb_proj", spec.tembChannels(), spec.scaleShift() ? 2 * out : out,
                        parallel);
        return new ResnetBlock2d(
                GroupNorm.load(w, prefix + "norm1", spec.groups(), in, spec.eps()),
                Conv2d.same(w, prefix + "conv1", in, out, 3, parallel),
                timeEmbProj,
                GroupNorm.load(w, prefix + "norm2", spec.groups(), out, spec.eps()),
                Conv2d.same(w, prefix + "conv2", out, out, 3, parallel),
                in == out ? null : Conv2d.load(w, prefix + "conv_shortcut", in, out, 1, 1, 0, parallel),
                spec);
    }

    /** Puts the block's tensors under {@code prefix} ({@code norm1}, {@code conv1}, ...) into {@code out}. */
    public void parameters(String prefix, java.util.Map<String, NDArray> out) {
        norm1.parameters(prefix + "norm1", out);
        conv1.parameters(prefix + "conv1", out);
        if (timeEmbProj != null) {
            timeEmbProj.parameters(prefix + "time_emb_proj", out);
        }
        norm2.parameters(prefix + "norm2", out);
        conv2.parameters(prefix + "conv2", out);
        if (convShortcut != null) {
            convShortcut.parameters(prefix + "conv_shortcut", out);
        }
    }

    /**
     * @param x {@code [B, in, H, W]}
     * @param temb {@code [B, temb]}, or {@code null} for a block without time embedding
     * @return {@code [B, out, H, W]}
     */
    public NDArray forward(NDArray x, NDArray temb) {
        return Scopes.run(() -> {
            UnaryOperator<NDArray> act = spec.act();
            // each temporary is closed once used: a resnet at 512x512 holds 130-270 MiB activations
            NDArray h = norm1.forward(x);
            h = Scopes.then(h, act.apply(h));
            h = Scopes.then(h, conv1.forward(h));
            if (timeEmbProj != null && temb != null) {
                NDArray t = timeEmbProj.forward(act.apply(temb)).expandDims(2).expandDims(3); // [B, out(*2), 1, 1]
                if (spec.scaleShift()) {
                    NDList scaleShift = t.split(2, 1);
                    h = Scopes.then(h, Autograd.addi(Autograd.muli(norm2.forward(h), scaleShift.get(0).add(1f)), scaleShift.get(1)));
                } else {
                    h = Scopes.then(h, norm2.forward(Autograd.addi(h, t))); // h is conv1's fresh output
                }
            } else {
                h = Scopes.then(h, norm2.forward(h));
            }
            h = Scopes.then(h, act.apply(h));
            h = Scopes.then(h, conv2.forward(h));
            NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
            NDArray sum = Autograd.addi(h, shortcut); // into conv2's fresh output: no new array
            if (shortcut != x) {
                shortcut.close();
            }
            return spec.outputScaleFactor() == 1.0 ? sum : Autograd.divi(sum, (float) spec.outputScaleFactor());
        }, x, temb);
    }
}
