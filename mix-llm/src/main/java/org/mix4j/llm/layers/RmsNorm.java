package org.mix4j.llm.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019) as LLaMA uses it: statistics in float32,
 * no mean subtraction, no bias, {@code weight * x / sqrt(mean(x^2) + eps)}.
 */
public final class RmsNorm {

    private final NDArray weight; // [D]
    private final float eps;

    public RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    public static RmsNorm load(Weights weights, String name, long dim, double eps) {
        return new RmsNorm(weights.get(name + ".weight", new Shape(dim)), eps);
    }

    /** {@code [..., D]} -> {@code [..., D]} in {@code x}'s manager and dtype. */
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray h = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray variance = h.square().mean(new int[] {-1}, true); // [..., 1]
        NDArray normed = h.div(variance.addi(eps).sqrt());
        if (type != DataType.FLOAT32) {
            normed = normed.toType(type, false);
        }
        return normed.muli(weight);
    }
}
