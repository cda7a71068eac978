package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/**
 * {@code torch.nn.LayerNorm} over the last axis (biased variance), weights {@code <name>.weight} and
 * {@code <name>.bias}. Runs PyTorch's fused kernel: one pass over the activation instead of the five
 * ops of the textbook formula.
 */
public final class LayerNorm {

    private final Shape normalized;
    private final float eps;
    private final NDArray weight; // [D]
    private final NDArray bias; // [D]

    private LayerNorm(NDArray weight, NDArray bias, double eps) {
        this.normalized = weight.getShape();
        this.eps = (float) eps;
        this.weight = weight;
        this.bias = bias;
    }

    /** Wraps tensors already loaded, both {@code [D]}. */
    public static LayerNorm of(NDArray weight, NDArray bias, double eps) {
        return new LayerNorm(weight, bias, eps);
    }

    /** Loads {@code name.weight} and {@code name.bias}, both {@code [dim]}. */
    public static LayerNorm load(Weights weights, String name, long dim, double eps) {
        Shape shape = new Shape(dim);
        return new LayerNorm(weights.get(name + ".weight", shape), weights.get(name + ".bias", shape), eps);
    }

    /** Puts {@code name.weight} and {@code name.bias} into {@code out} (see {@link org.mix4j.api.Trainable}). */
    public void parameters(String name, java.util.Map<String, NDArray> out) {
        out.put(name + ".weight", weight);
        out.put(name + ".bias", bias);
    }

    /** {@code [..., D]} -> same shape, in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalized, weight, bias, eps).singletonOrThrow();
    }
}
