package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.mix4j.weights.Weights;
import org.mix4j.nn.Autograd;

/**
 * {@code torch.nn.GroupNorm} (affine) on {@code [B, C, H, W]}: statistics over each group of
 * {@code C / groups} channels and all positions, biased variance, then a per-channel scale and shift.
 */
public final class GroupNorm {

    private final int groups;
    private final float eps;
    private final NDArray weight; // [1, C, 1, 1], a view of checkpointWeight
    private final NDArray bias; // [1, C, 1, 1]
    private final NDArray checkpointWeight; // [C]
    private final NDArray checkpointBias; // [C]

    private GroupNorm(int groups, float eps, NDArray checkpointWeight, NDArray checkpointBias) {
        this.groups = groups;
        this.eps = eps;
        this.checkpointWeight = checkpointWeight;
        this.checkpointBias = checkpointBias;
        long channels = checkpointWeight.getShape().get(0);
        // stored as [1, C, 1, 1] views once, so the inference forward never starts an op from a weight
        this.weight = checkpointWeight.reshape(1, channels, 1, 1);
        this.bias = checkpointBias.reshape(1, channels, 1, 1);
    }

    public static GroupNorm load(Weights weights, String name, int groups, long channels, double eps) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException(name + ": " + channels + " channels cannot be split into " + groups
                    + " groups (norm_num_groups must divide every block's channel count)");
        }
        return new GroupNorm(groups, (float) eps, weights.get(name + ".weight", new Shape(channels)),
                weights.get(name + ".bias", new Shape(channels)));
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
        NDArray scale = weight;
        NDArray shift = bias;
        if (checkpointWeight.hasGradient() || checkpointBias.hasGradient()) {
            // training: [1, C, 1, 1] views made now, so the gradients reach the [C] tensors
            scale = checkpointWeight.reshape(weight.getShape());
            shift = checkpointBias.reshape(bias.getShape());
            new NDList(scale, shift).attach(scope); // started from a weight: moved to the scope
        }
        NDArray out = Autograd.addi(Autograd.muli(normed.reshape(shape), scale), shift); // a view: it keeps the memory alive
        for (NDArray temporary : new NDArray[] {normed, ones, zeros}) {
            temporary.close();
        }
        return out;
    }

    /** Puts {@code name.weight [C]} and {@code name.bias [C]} into {@code out} (see {@link org.mix4j.api.Trainable}). */
    public void parameters(String name, Map<String, NDArray> out) {
        out.put(name + ".weight", checkpointWeight);
        out.put(name + ".bias", checkpointBias);
    }
}
