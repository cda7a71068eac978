package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.weights.Weights;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b}, weights {@code <name>.weight [out, in]} and
 * {@code <name>.bias [out]}. The transpose is taken once at load.
 */
public final class Linear {

    private final ParallelMatMul weightT; // [in, out]
    private final NDArray bias; // [out] or null
    private final long outFeatures;

    public Linear(NDArray weightT, NDArray bias) {
        this.weightT = new ParallelMatMul(weightT);
        this.bias = bias;
        this.outFeatures = weightT.getShape().get(1);
    }

    /** Loads {@code name.weight} (and {@code name.bias} when {@code withBias}). */
    public static Linear load(Weights weights, String name, long in, long out, boolean withBias) {
        NDArray w = weights.get(name + ".weight", new Shape(out, in));
        NDArray b = withBias ? weights.get(name + ".bias", new Shape(out)) : null;
        return new Linear(w.transpose(), b);
    }

    /** {@code [..., in]} to {@code [..., out]}. */
    public NDArray forward(NDArray x) {
        NDArray y = weightT.apply(x);
        return bias == null ? y : y.add(bias);
    }

    public long outFeatures() {
        return outFeatures;
    }
}
