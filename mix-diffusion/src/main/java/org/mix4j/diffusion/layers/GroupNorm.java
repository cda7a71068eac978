package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;
import org.mix4j.nn.Autograd;

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

    /**
     * {@code [B, C, H, W]} -> same shape. The statistics are a layer norm over each group's
     * {@code C/G * H * W} values (one fused pass instead of five element-wise ones), then the
     * per-channel scale and shift are applied in place.
     */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long perGroup = shape.size() / (shape.get(0) * groups);
        NDArray grouped = x.reshape(shape.get(0), groups, perGroup); // [B, G, C/G * H * W]
        NDManager scope = x.getManager();
        NDArray ones = scope.ones(new Shape(perGroup), x.getDataType());
        NDArray zeros = scope.zeros(new Shape(perGroup), x.getDataType());
        NDArray normed = ai.djl.nn.norm.LayerNorm.layerNorm(grouped, new Shape(perGroup), ones, zeros, eps)
                .singletonOrThrow();
        NDArray out = Autograd.addi(Autograd.muli(normed.reshape(shape), weight), bias); // a view: it keeps the memory alive
        for (NDArray temporary : new NDArray[] {normed, ones, zeros}) {
            temporary.close();
        }
        return out;
    }
}
