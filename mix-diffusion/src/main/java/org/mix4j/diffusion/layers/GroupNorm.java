package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/**
 * {@code torch.nn.GroupNorm} (affine) on {@code [B, C, H, W]}: statistics over each group of
 * {@code C / groups} channels and all positions, biased variance, then a per-channel scale and shift.
 */
public final class GroupNorm {

    private final int groups;
    private final float eps;
    private final NDArray weight;
    private final NDArray bias;

    private GroupNorm(int groups, float eps, NDArray weight, NDArray bias) {
        this.groups = groups;
        this.eps = eps;
        this.weight = weight;
        this.bias = bias;
    }

    public static GroupNorm load(Weights weights, String name, int groups, long channels, double eps) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException(name + ": " + channels + " channels cannot be split into " + groups
                    + " groups (norm_num_groups must divide every block's channel count)");
        }
        // stored as [1, C, 1, 1] once, so forward never starts an op from a weight
        NDArray w = weights.get(name + ".weight", new Shape(channels)).reshape(1, channels, 1, 1);
        NDArray b = weights.get(name + ".bias", new Shape(channels)).reshape(1, channels, 1, 1);
        return new GroupNorm(groups, (float) eps, w, b);
    }

    /** {@code [B, C, H, W]} -> same shape. */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        NDArray grouped = x.reshape(shape.get(0), groups, -1); // [B, G, C/G * H * W]
        NDArray centered = grouped.sub(grouped.mean(new int[] {2}, true));
        NDArray variance = centered.square().mean(new int[] {2}, true);
        NDArray normed = centered.div(variance.add(eps).sqrt()).reshape(shape);
        return normed.mul(weight).add(bias);
    }
}
