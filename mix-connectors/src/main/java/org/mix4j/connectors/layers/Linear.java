package org.mix4j.connectors.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/**
 * {@code y = x W^T + b} for a PyTorch {@code nn.Linear} stored as {@code <name>.weight [out, in]}
 * and {@code <name>.bias [out]}.
 */
public final class Linear {

    /** {@code [in, out]}: transposed once at load so that a forward creates nothing outside its scope. */
    private final NDArray weightT;
    private final NDArray bias;
    private final long inFeatures;
    private final long outFeatures;

    private Linear(NDArray weightT, NDArray bias, long inFeatures, long outFeatures) {
        this.weightT = weightT;
        this.bias = bias;
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
    }

    /**
     * Reads {@code <name>.weight} (and {@code <name>.bias} when {@code bias}); {@code name} may be
     * empty for a bare {@code weight} / {@code bias} pair.
     */
    public static Linear load(Weights weights, String name, long inFeatures, long outFeatures, boolean bias) {
        String dot = name.isEmpty() ? "" : name + ".";
        NDArray weight = weights.get(dot + "weight", new Shape(outFeatures, inFeatures));
        NDArray b = bias ? weights.get(dot + "bias", new Shape(outFeatures)) : null;
        return new Linear(weight.transpose(), b, inFeatures, outFeatures);
    }

    /** {@code [..., in]} to {@code [..., out]}. */
    public NDArray forward(NDArray x) {
        NDArray y = x.matMul(weightT);
        return bias == null ? y : y.add(bias);
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }
}
