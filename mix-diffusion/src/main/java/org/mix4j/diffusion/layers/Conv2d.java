package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.mix4j.weights.Weights;

/** {@code torch.nn.Conv2d} with square kernel, stride and padding, weights {@code name.weight/.bias}. */
public final class Conv2d {

    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;

    private Conv2d(NDArray weight, NDArray bias, int stride, int padding) {
        this.weight = weight;
        this.bias = bias;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    /** Loads {@code name.weight} {@code [out, in, k, k]} and {@code name.bias} {@code [out]}. */
    public static Conv2d load(Weights weights, String name, long in, long out, int kernel, int stride, int padding) {
        NDArray w = weights.get(name + ".weight", new Shape(out, in, kernel, kernel));
        NDArray b = weights.get(name + ".bias", new Shape(out));
        return new Conv2d(w, b, stride, padding);
    }

    /** A stride-1 convolution padded to keep the size ({@code padding = (k - 1) / 2}). */
    public static Conv2d same(Weights weights, String name, long in, long out, int kernel) {
        return load(weights, name, in, out, kernel, 1, (kernel - 1) / 2);
    }

    /** {@code [B, in, H, W]} -> {@code [B, out, H', W']}. */
    public NDArray forward(NDArray x) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}
