package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.weights.Weights;

/** {@code torch.nn.Linear}: {@code y = x W^T + b}, weights {@code name.weight [out, in]} and {@code name.bias}. */
public final class Linear {

    private final NDArray weight;
    private final NDArray bias;
    private final ParallelMatMul weightT; // the same weight, for products split over threads

    private Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
        this.weightT = new ParallelMatMul(weight.transpose());
    }

    public static Linear load(Weights weights, String name, long in, long out) {
        return load(weights, name, in, out, true);
    }

    /** @param hasBias whether the checkpoint has {@code name.bias} */
    public static Linear load(Weights weights, String name, long in, long out, boolean hasBias) {
        NDArray w = weights.get(name + ".weight", new Shape(out, in));
        NDArray b = hasBias ? weights.get(name + ".bias", new Shape(out)) : null;
        return new Linear(w, b);
    }

    /** Wraps tensors already loaded (e.g. a 1x1 convolution's kernel reshaped to {@code [out, in]}). */
    public static Linear of(NDArray weight, NDArray bias) {
        return new Linear(weight, bias);
    }

    /** {@code [..., in]} -> {@code [..., out]}. */
    public NDArray forward(NDArray x) {
        if (weightT.splits(x)) {
            NDArray y = weightT.apply(x);
            return bias == null ? y : y.addi(bias);
        }
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
