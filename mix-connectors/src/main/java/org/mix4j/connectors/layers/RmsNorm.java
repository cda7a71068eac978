package org.mix4j.connectors.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** Root-mean-square norm (LlamaRMSNorm): {@code weight * x / sqrt(mean(x^2) + eps)}, no bias. */
public final class RmsNorm {

    private final NDArray weight;
    private final float eps;

    private RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public static RmsNorm load(Weights weights, String name, long size, double eps) {
        return new RmsNorm(weights.get(name + ".weight", new Shape(size)), eps);
    }

    /** {@code [..., D]}. */
    public NDArray forward(NDArray x) {
        int[] last = {x.getShape().dimension() - 1};
        NDArray meanSquare = x.square().mean(last, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(weight);
    }
}
