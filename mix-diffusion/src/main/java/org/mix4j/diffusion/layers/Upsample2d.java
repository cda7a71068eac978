package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/** diffusers {@code Upsample2D} with a convolution: nearest-neighbour 2x (or to a given size), then a 3x3 conv. */
public final class Upsample2d {

    /** PyTorch's {@code mode="nearest"} (source index {@code floor(dst * in / out)}) in DJL's numbering. */
    private static final int NEAREST = 0;

    private final Conv2d conv;

    private Upsample2d(Conv2d conv) {
        this.conv = conv;
    }

    /** Loads {@code prefix + conv}. */
    public static Upsample2d load(Weights w, String prefix, long channels, TensorParallel parallel) {
        return new Upsample2d(Conv2d.same(w, prefix + "conv", channels, channels, 3, parallel));
    }

    /** Puts {@code prefix + conv}'s tensors into {@code out}. */
    public void parameters(String prefix, java.util.Map<String, NDArray> out) {
        conv.parameters(prefix + "conv", out);
    }

    /**
     * @param x {@code [B, C, H, W]}
     * @param size {@code [H', W']} to interpolate to, or {@code null} for {@code [2H, 2W]}
     */
    public NDArray forward(NDArray x, long[] size) {
        Shape s = x.getShape();
        long[] target = size != null ? size : new long[] {2 * s.get(2), 2 * s.get(3)};
        NDArray upsampled = x.getNDArrayInternal().interpolation(target, NEAREST, false);
        NDArray out = conv.forward(upsampled);
        upsampled.close();
        return out;
    }
}
