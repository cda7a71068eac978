package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** {@code torch.nn.LayerNorm} over the last axis, with the biased variance torch uses. */
public final class LayerNorm {

    private final NDArray weight; // [D]
    private final NDArray bias; // [D]
    private final double eps;

    public LayerNorm(NDArray weight, NDArray bias, double eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    /** Loads {@code name.weight} and {@code name.bias}, both {@code [dim]}. */
    public static LayerNorm load(Weights weights, String name, long dim, double eps) {
        return new LayerNorm(weights.get(name + ".weight", new Shape(dim)), weights.get(name + ".bias", new Shape(dim)),
                eps);
    }

    public NDArray forward(NDArray x) {
        int[] last = {x.getShape().dimension() - 1};
        NDArray centered = x.sub(x.mean(last, true));
        NDArray variance = centered.square().mean(last, true);
        return centered.div(variance.add(eps).sqrt()).mul(weight).add(bias);
    }
}
