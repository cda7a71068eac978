package org.mix4j.plugins.pixelshuffle.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** {@code nn.LayerNorm} over the last axis ({@code <name>.weight}, {@code <name>.bias}), biased variance as PyTorch. */
public final class LayerNorm {

    private final NDArray weight;
    private final NDArray bias;
    private final float eps;

    private LayerNorm(NDArray weight, NDArray bias, double eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = (float) eps;
    }

    public static LayerNorm load(Weights weights, String name, long size, double eps) {
        return new LayerNorm(weights.get(name + ".weight", new Shape(size)), weights.get(name + ".bias", new Shape(size)),
                eps);
    }

    /** {@code [..., D]}. */
    public NDArray forward(NDArray x) {
        int[] last = {x.getShape().dimension() - 1};
        NDArray centered = x.sub(x.mean(last, true));
        NDArray variance = centered.square().mean(last, true);
        return centered.div(variance.add(eps).sqrt()).mul(weight).add(bias);
    }
}
