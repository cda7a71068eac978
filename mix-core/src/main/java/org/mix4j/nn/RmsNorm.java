package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019) as LLaMA uses it: no mean subtraction, no
 * bias, {@code weight * x / sqrt(mean(x^2) + eps)}, with the statistics of half-precision inputs
 * taken in float32.
 */
public final class RmsNorm {

    private final NDArray weight; // [D]
    private final float eps;

    private RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    /** Wraps a {@code [D]} weight already loaded. */
    public static RmsNorm of(NDArray weight, double eps) {
        return new RmsNorm(weight, eps);
    }

    public static RmsNorm load(Weights weights, String name, long dim, double eps) {
        return new RmsNorm(weights.get(name + ".weight", new Shape(dim)), eps);
    }

    /** The {@code [D]} scale. */
    public NDArray weight() {
        return weight;
    }

    /** Puts {@code name.weight} into {@code out} (see {@link org.mix4j.api.Trainable}). */
    public void parameters(String name, java.util.Map<String, NDArray> out) {
        out.put(name + ".weight", weight);
    }

    /** {@code [..., D]} -> {@code [..., D]} in {@code x}'s manager and dtype. */
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        boolean half = type == DataType.FLOAT16 || type == DataType.BFLOAT16;
        NDArray h = half ? x.toType(DataType.FLOAT32, false) : x;
        NDArray variance = h.square().mean(new int[] {-1}, true); // [..., 1]
        NDArray normed = h.div(Autograd.addi(variance, eps).sqrt());
        if (half) {
            normed = normed.toType(type, false);
        }
        return Autograd.muli(normed, weight);
    }
}
