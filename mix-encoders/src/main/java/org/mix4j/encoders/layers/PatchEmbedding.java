package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * A ViT patch embedding, {@code nn.Conv2d(C, D, kernel_size=p, stride=p)}, computed as one matmul
 * over non-overlapping patches: with stride equal to the kernel every output pixel is the dot
 * product of one flattened {@code [C, p, p]} patch with the kernel. Rows and columns that do not
 * fill a whole patch are dropped, as the convolution drops them.
 */
public final class PatchEmbedding {

    private final int patchSize;
    private final int channels;
    private final NDArray kernel; // [D, C, p, p] as stored
    private final NDArray bias; // [D] or null
    private final Linear projection;

    /** Loads {@code name.weight [D, C, p, p]} and, when {@code withBias}, {@code name.bias [D]}. */
    public PatchEmbedding(Weights weights, String name, int channels, int hidden, int patchSize, boolean withBias,
            TensorParallel parallel) {
        this.patchSize = patchSize;
        this.channels = channels;
        this.kernel = weights.get(name + ".weight", new Shape(hidden, channels, patchSize, patchSize));
        this.bias = withBias ? weights.get(name + ".bias", new Shape(hidden)) : null;
        // a view of the kernel: the kernel stays open, as it owns the buffer the view reads
        NDArray flat = kernel.reshape(hidden, (long) channels * patchSize * patchSize); // [D, C*p*p]
        this.projection = Linear.of(flat, bias, parallel);
    }

    /** {@code [B, C, H, W]} to {@code [B, (H/p)*(W/p), D]}, patches in row-major order. */
    public NDArray forward(NDArray pixels) {
        Shape s = pixels.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException("pixel values must be [B, " + channels + ", H, W], got " + s);
        }
        long batch = s.get(0);
        long rows = s.get(2) / patchSize;
        long cols = s.get(3) / patchSize;
        NDArray x = pixels;
        if (rows * patchSize != s.get(2) || cols * patchSize != s.get(3)) {
            x = x.get(new NDIndex(":, :, :{}, :{}", rows * patchSize, cols * patchSize));
        }
        NDArray patches = x.reshape(batch, channels, rows, patchSize, cols, patchSize) // [B, C, gh, p, gw, p]
                .transpose(0, 2, 4, 1, 3, 5) // [B, gh, gw, C, p, p]
                .reshape(batch, rows * cols, (long) channels * patchSize * patchSize); // [B, N, C*p*p]
        if (kernel.hasGradient()) {
            // training: the product from a view of the kernel made now, so that its gradient reaches the kernel
            NDArray flat = kernel.reshape(projection.outFeatures(), projection.inFeatures()); // [D, C*p*p]
            flat.attach(patches.getManager());
            NDArray y = patches.matMul(flat.transpose()); // [B, N, D]
            return bias == null ? y : y.add(bias);
        }
        return projection.forward(patches); // [B, N, D]
    }

    /** {@code name.weight [D, C, p, p]} and {@code name.bias} (see {@link org.mix4j.api.Trainable}). */
    public void parameters(String name, java.util.Map<String, NDArray> out) {
        out.put(name + ".weight", kernel);
        if (bias != null) {
            out.put(name + ".bias", bias);
        }
    }
}
