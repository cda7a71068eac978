package org.mix4j.plugins.pixelshuffle.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** {@code nn.Linear}: {@code y = x W^T + b}, stored as {@code <name>.weight [out, in]} and {@code <name>.bias [out]}. */
public final class Linear {

    /** {@code [in, out]}, transposed once at load. */
    private final NDArray weightT;
    private final NDArray bias;

    private Linear(NDArray weightT, NDArray bias) {
        this.weightT = weightT;
        this.bias = bias;
    }

    public static Linear load(Weights weights, String name, long in, long out) {
        NDArray weight = weights.get(name + ".weight", new Shape(out, in));
        return new Linear(weight.transpose(), weights.get(name + ".bias", new Shape(out)));
    }

    /** {@code [..., in]} to {@code [..., out]}. */
    public NDArray forward(NDArray x) {
        return x.matMul(weightT).add(bias);
    }
}
