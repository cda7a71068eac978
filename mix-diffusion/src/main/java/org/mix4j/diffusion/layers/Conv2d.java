package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.mix4j.nn.Autograd;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * {@code torch.nn.Conv2d} with square kernel, stride and padding, weights {@code name.weight/.bias}.
 *
 * <p>More than {@link #CHANNEL_GROUP} input channels that are not a multiple of it are padded with
 * zero channels (in the weight once, in the input per call). libtorch 2.7.1 sends batched or large
 * CPU convolutions to oneDNN, whose kernels (AVX2, as {@code ONEDNN_MAX_CPU_ISA} holds them here, on
 * this project's AMD EPYC machines) returned wrong values for such channel counts: a ControlNet
 * conditioning embedding of widths [12, 20] put its residuals up to 0.3 off diffusers' at batch 2,
 * while batch 1 was exact. With the zero channels every count from 9 to 40 matches the unbatched convolution.
 *
 * <p>Once its tensors are listed for training ({@link #parameters}), the kernel read is the
 * checkpoint-shaped one: the zero channels are added to it per call (so its gradient and what is
 * saved have the checkpoint's shape, and updates reach the forward) and the convolution runs whole.
 */
public final class Conv2d {

    /** Convolutions smaller than this (multiply-adds) run whole on one thread. */
    private static final long MIN_SPLIT_MACS = 1L << 24;
    /** Input channel counts above this are padded up to a multiple of it. */
    static final int CHANNEL_GROUP = 8;

    private final NDArray weight; // [out, in + zeroChannels, k, k]
    private final NDArray checkpointWeight; // [out, in, k, k]: weight itself without zero channels
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;
    private final int ways;
    /** Zero input channels appended to every input (and already to {@link #weight}). */
    private final long zeroChannels;
    private volatile NDArray[][] blocks; // per way: [weight rows, bias rows], views
    private volatile boolean listed;

    private Conv2d(NDArray weight, NDArray bias, int stride, int padding, TensorParallel parallel) {
        this.checkpointWeight = weight;
        long in = weight.getShape().get(1);
        this.zeroChannels = in > CHANNEL_GROUP && in % CHANNEL_GROUP != 0 ? CHANNEL_GROUP - in % CHANNEL_GROUP : 0;
        if (zeroChannels > 0) {
            Shape s = weight.getShape();
            NDArray zeros = weight.getManager().zeros(new Shape(s.get(0), zeroChannels, s.get(2), s.get(3)),
                    weight.getDataType());
            weight = weight.concat(zeros, 1); // [out, in + zeros, k, k]
            zeros.close();
        }
        this.weight = weight;
        this.bias = bias;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
        this.ways = parallel.ways();
    }

    /** Loads {@code name.weight} {@code [out, in, k, k]} and {@code name.bias} {@code [out]}. */
    public static Conv2d load(Weights weights, String name, long in, long out, int kernel, int stride, int padding,
            TensorParallel parallel) {
        NDArray w = weights.get(name + ".weight", new Shape(out, in, kernel, kernel));
        NDArray b = weights.get(name + ".bias", new Shape(out));
        return new Conv2d(w, b, stride, padding, parallel);
    }

    /** A stride-1 convolution padded to keep the size ({@code padding = (k - 1) / 2}). */
    public static Conv2d same(Weights weights, String name, long in, long out, int kernel, TensorParallel parallel) {
        return load(weights, name, in, out, kernel, 1, (kernel - 1) / 2, parallel);
    }

    /**
     * {@code [B, in, H, W]} -> {@code [B, out, H', W']}. A large convolution runs as blocks of output
     * channels on the threads of its {@link TensorParallel}, joined along the channel axis.
     */
    public NDArray forward(NDArray x) {
        if (listed) {
            return listedForward(x);
        }
        if (zeroChannels == 0) {
            return convolve(x);
        }
        Shape s = x.getShape();
        NDArray zeros = x.getManager().zeros(new Shape(s.get(0), zeroChannels, s.get(2), s.get(3)), x.getDataType());
        NDArray padded = x.concat(zeros, 1); // [B, in + zeros, H, W]
        zeros.close();
        NDArray out = convolve(padded);
        padded.close();
        return out;
    }

    /** The convolution, whole, from the checkpoint-shaped kernel (zero channels added to it and to {@code x} here). */
    private NDArray listedForward(NDArray x) {
        if (zeroChannels == 0) {
            return conv(x, weight, bias);
        }
        NDManager scope = x.getManager();
        Shape s = x.getShape();
        Shape k = checkpointWeight.getShape();
        NDArray padded = x.concat(scope.zeros(new Shape(s.get(0), zeroChannels, s.get(2), s.get(3)), x.getDataType()), 1);
        NDArray kernel = checkpointWeight.concat(scope.zeros(new Shape(k.get(0), zeroChannels, k.get(2), k.get(3)),
                checkpointWeight.getDataType()), 1); // [out, in + zeros, k, k], started from the weight: moved out
        kernel.attach(scope);
        return conv(padded, kernel, bias);
    }

    /**
     * Puts {@code name.weight [out, in, k, k]} and {@code name.bias} into {@code out} (see
     * {@link org.mix4j.api.Trainable}); from now on the forward reads these (see the class comment).
     */
    public void parameters(String name, Map<String, NDArray> out) {
        listed = true;
        out.put(name + ".weight", checkpointWeight);
        if (bias != null) {
            out.put(name + ".bias", bias);
        }
    }

    private NDArray convolve(NDArray x) {
        if (ways < 2 || macs(x) < MIN_SPLIT_MACS || weight.getShape().get(0) < 2L * ways) {
            return conv(x, weight, bias);
        }
        NDArray[][] parts = blocks(ways);
        NDArray[] outputs = TensorParallel.map(ways, i -> conv(x, parts[i][0], parts[i][1])); // [B, out / ways, H', W']
        NDArray joined = NDArrays.concat(new NDList(outputs), 1);
        for (NDArray o : outputs) {
            o.close();
        }
        return joined;
    }

    /** The type of the kernel, which inputs must have. */
    public DataType dataType() {
        return weight.getDataType();
    }

    private NDArray conv(NDArray x, NDArray w, NDArray b) {
        long out = w.getShape().get(0);
        if (Autograd.recording() && out % CHANNEL_GROUP != 0) {
            return paddedOutputs(x, w, b, out);
        }
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, stride, padding, new Shape(1, 1), 1).singletonOrThrow();
    }

    /**
     * The convolution computed with zero output channels up to a multiple of {@link #CHANNEL_GROUP},
     * then cut back. oneDNN's backward pass returns NaN input gradients here for some small output
     * counts (4 channels from 32 at batch 2 and 3, with or without bias: the UNet's {@code conv_out}),
     * while 8 channels are right; the extra channels are zero and never reach the result.
     */
    private NDArray paddedOutputs(NDArray x, NDArray w, NDArray b, long out) {
        long extra = CHANNEL_GROUP - out % CHANNEL_GROUP;
        Shape ws = w.getShape();
        NDArray wide = w.concat(x.getManager().zeros(new Shape(extra, ws.get(1), ws.get(2), ws.get(3)), w.getDataType()), 0);
        NDArray wideBias = b == null ? null : b.concat(x.getManager().zeros(new Shape(extra), b.getDataType()), 0);
        wide.attach(x.getManager()); // ops started from a weight land in the weights' manager: move them out
        if (wideBias != null) {
            wideBias.attach(x.getManager());
        }
        NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(x, wide, wideBias, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
        return y.get(new NDIndex(":, :{}", out));
    }

    private long macs(NDArray x) {
        Shape w = weight.getShape();
        Shape s = x.getShape();
        long h = (s.get(2) + 2 * padding.get(0) - w.get(2)) / stride.get(0) + 1;
        long wd = (s.get(3) + 2 * padding.get(1) - w.get(3)) / stride.get(1) + 1;
        return s.get(0) * w.get(0) * w.get(1) * w.get(2) * w.get(3) * Math.max(0, h) * Math.max(0, wd);
    }

    private NDArray[][] blocks(int ways) {
        NDArray[][] b = blocks;
        if (b == null || b.length != ways) {
            synchronized (this) {
                b = blocks; // another thread may have made them while this one waited
                if (b == null || b.length != ways) {
                    long out = weight.getShape().get(0);
                    b = new NDArray[ways][];
                    for (int i = 0; i < ways; i++) {
                        NDIndex rows = new NDIndex("{}:{}", out * i / ways, out * (i + 1) / ways);
                        b[i] = new NDArray[] {weight.get(rows), bias == null ? null : bias.get(rows)}; // views
                    }
                    blocks = b;
                }
            }
        }
        return b;
    }
}
