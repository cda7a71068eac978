package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * diffusers {@code Downsample2D} with a convolution: 3x3, stride 2. With {@code padding 0} (the VAE
 * encoder) the input is first padded by one zero row and column at the bottom and right only,
 * as diffusers does, so odd and even sizes round the same way as the original LDM code.
 */
public final class Downsample2d {

    private static final Shape BOTTOM_RIGHT = new Shape(0, 1, 0, 1); // (left, right, top, bottom) of W, H

    private final Conv2d conv;
    private final boolean asymmetric;

    private Downsample2d(Conv2d conv, boolean asymmetric) {
        this.conv = conv;
        this.asymmetric = asymmetric;
    }

    /** Loads {@code prefix + conv}. */
    public static Downsample2d load(Weights w, String prefix, long channels, int padding, TensorParallel parallel) {
        return new Downsample2d(Conv2d.load(w, prefix + "conv", channels, channels, 3, 2, padding, parallel),
                padding == 0);
    }

    /** Puts {@code prefix + conv}'s tensors into {@code out}. */
    public void parameters(String prefix, java.util.Map<String, NDArray> out) {
        conv.parameters(prefix + "conv", out);
    }

    /** {@code [B, C, H, W]} -> {@code [B, C, H/2, W/2]} (rounded as the padding decides). */
    public NDArray forward(NDArray x) {
        return conv.forward(asymmetric ? x.pad(BOTTOM_RIGHT, 0) : x);
    }
}
