package org.mix4j.llm.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.weights.Weights;

/**
 * {@code y = x W^T + b} as in {@code torch.nn.Linear}. Several projections that read the same
 * input (q/k/v, gate/up) can be fused into one matrix at load time, so a decode step runs one
 * matrix product instead of three.
 */
public final class Linear {

    private final ParallelMatMul weightT; // [in, out], a transposed view of the stored [out, in] matrix
    private final NDArray bias; // [out] or null
    private final long inFeatures;
    private final long outFeatures;

    private Linear(NDArray weight, NDArray bias) {
        this.weightT = new ParallelMatMul(weight.transpose());
        this.bias = bias;
        this.outFeatures = weight.getShape().get(0);
        this.inFeatures = weight.getShape().get(1);
    }

    /** Wraps an existing {@code [out, in]} matrix (a tied LM head shares the embedding). */
    public static Linear of(NDArray weight, NDArray bias) {
        return new Linear(weight, bias);
    }

    /** Loads {@code name.weight} {@code [out, in]} and, when {@code bias}, {@code name.bias}. */
    public static Linear load(Weights weights, String name, long in, long out, boolean bias) {
        return fused(weights, List.of(name), in, new long[] {out}, bias);
    }

    /**
     * Loads several projections of the same input and concatenates them along the output axis.
     * The output of {@link #forward} is then the projections side by side, in {@code names} order.
     */
    public static Linear fused(Weights weights, List<String> names, long in, long[] outs, boolean bias) {
        List<NDArray> ws = new ArrayList<>();
        List<NDArray> bs = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            ws.add(weights.get(names.get(i) + ".weight", new Shape(outs[i], in)));
            if (bias) {
                bs.add(weights.get(names.get(i) + ".bias", new Shape(outs[i])));
            }
        }
        return new Linear(concat(ws), bias ? concat(bs) : null);
    }

    private static NDArray concat(List<NDArray> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray joined = NDArrays.concat(new NDList(parts), 0);
        parts.forEach(NDArray::close); // the fused copy replaces them
        return joined;
    }

    /** {@code [..., in]} -> {@code [..., out]}; the result lives in {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        NDArray y = weightT.apply(x);
        return bias == null ? y : y.addi(bias);
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }
}
