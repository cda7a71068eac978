package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** {@code torch.nn.LayerNorm} over the last dimension, weights {@code name.weight/.bias}. */
public final class LayerNorm {

    private final Shape normalized;
    private final float eps;
    private final NDArray weight;
    private final NDArray bias;

    private LayerNorm(Shape normalized, float eps, NDArray weight, NDArray bias) {
        this.normalized = normalized;
        this.eps = eps;
        this.weight = weight;
        this.bias = bias;
    }

    public static LayerNorm load(Weights weights, String name, long dim, double eps) {
        Shape shape = new Shape(dim);
        return new LayerNorm(shape, (float) eps, weights.get(name + ".weight", shape), weights.get(name + ".bias", shape));
    }

    /** {@code [..., D]} -> same shape. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalized, weight, bias, eps).singletonOrThrow();
    }
}
