package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;

/**
 * A weight matrix {@code [out, in]} stored as int8 with one symmetric scale per output row
 * ({@code w[r, k] ~ scale[r] * q[r, k]}, {@code scale[r] = max_k |w[r, k]| / 127}), on the Java heap:
 * a quarter of the fp32 bytes. Products with a few rows of input (decoding) read the int8 bytes
 * through an {@link Int8Kernel}, the output rows split over the threads of a {@link TensorParallel};
 * larger inputs (prefill) dequantize a block of rows at a time through the engine into a transient
 * fp32 matrix and multiply it, so no whole fp32 copy ever lives longer than one block.
 */
public final class Int8Matrix {

    /** Inputs with at most this many rows run through the int8 kernel; more go through the engine. */
    public static final int KERNEL_ROWS = 16;
    /** Products smaller than this (multiply-adds) run on the calling thread. */
    private static final long MIN_SPLIT_MACS = 1L << 18;
    /** Elements dequantized per engine block on the prefill path (16 MiB of fp32). */
    private static final long BLOCK_ELEMENTS = 1L << 22;

    private final byte[] q; // [out, in] row-major
    private final float[] scale; // [out]
    private final int out;
    private final int in;

    private Int8Matrix(byte[] q, float[] scale, int out, int in) {
        this.q = q;
        this.scale = scale;
        this.out = out;
        this.in = in;
    }

    /** Quantizes an {@code [out, in]} matrix of any floating type, a block of rows at a time; {@code weight} stays open. */
    public static Int8Matrix quantize(NDArray weight) {
        Shape s = weight.getShape();
        if (s.dimension() != 2 || s.get(0) * s.get(1) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("can only quantize a [out, in] matrix of under 2^31 elements, got " + s);
        }
        int out = (int) s.get(0);
        int in = (int) s.get(1);
        byte[] q = new byte[out * in];
        float[] scale = new float[out];
        int step = (int) Math.max(1, BLOCK_ELEMENTS / Math.max(1, in));
        for (int r0 = 0; r0 < out; r0 += step) {
            int r1 = Math.min(out, r0 + step);
            float[] w;
            try (NDArray block = weight.get(new NDIndex("{}:{}", r0, r1));
                    NDArray f = block.toType(DataType.FLOAT32, true)) {
                w = f.toFloatArray();
            }
            for (int r = r0; r < r1; r++) {
                int at = (r - r0) * in;
                float max = 0;
                for (int k = 0; k < in; k++) {
                    max = Math.max(max, Math.abs(w[at + k]));
                }
                scale[r] = max / 127f;
                float inv = max == 0 ? 0 : 127f / max;
                for (int k = 0; k < in; k++) {
                    q[r * in + k] = (byte) Math.max(-127, Math.min(127, Math.round(w[at + k] * inv)));
                }
            }
        }
        return new Int8Matrix(q, scale, out, in);
    }

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
    }

    /** Bytes this matrix holds (weights and scales): what one product reads. */
    public long bytes() {
        return (long) q.length + 4L * scale.length;
    }

    /** {@code [..., in] -> [..., out]} ({@code x W^T}) in {@code x}'s manager and type. */
    public NDArray multiply(NDArray x, TensorParallel parallel) {
        Shape shape = x.getShape();
        if (shape.get(shape.dimension() - 1) != in) {
            throw new IllegalArgumentException("input " + shape + " does not end in " + in);
        }
        long rows = shape.size() / in;
        return rows <= KERNEL_ROWS ? kernel(x, (int) rows, parallel) : blocks(x, parallel);
    }

    private NDArray kernel(NDArray x, int rows, TensorParallel parallel) {
        float[] xs;
        if (x.getDataType() == DataType.FLOAT32) {
            xs = x.toFloatArray();
        } else {
            try (NDArray f = x.toType(DataType.FLOAT32, true)) {
                xs = f.toFloatArray();
            }
        }
        float[] ys = new float[rows * out];
        Int8Kernel kernel = Int8Kernel.best();
        int ways = parallel.ways();
        if (ways == 1 || (long) rows * in * out < MIN_SPLIT_MACS || out < 8L * ways) {
            kernel.multiply(q, scale, in, xs, rows, ys, out, 0, out);
        } else {
            TensorParallel.map(ways, p -> {
                kernel.multiply(q, scale, in, xs, rows, ys, out, bound(p, ways), bound(p + 1, ways));
                return null;
            });
        }
        Shape lead = x.getShape().slice(0, x.getShape().dimension() - 1);
        NDArray y = x.getManager().create(ys, lead.add(out));
        return x.getDataType() == DataType.FLOAT32 ? y : y.toType(x.getDataType(), false);
    }

    /** Where part {@code p} of {@code ways} starts: a multiple of four rows, for the kernel's blocks. */
    private int bound(int p, int ways) {
        return p == ways ? out : (int) ((long) out * p / ways) & ~3;
    }

    /** Prefill: per thread, its rows dequantized a block at a time into the engine and multiplied. */
    private NDArray blocks(NDArray x, TensorParallel parallel) {
        int ways = out < 8L * parallel.ways() ? 1 : parallel.ways();
        NDArray[] parts = TensorParallel.map(ways, p -> rowsProduct(x, bound(p, ways), bound(p + 1, ways)));
        if (parts.length == 1) {
            return parts[0];
        }
        NDArray joined = NDArrays.concat(new NDList(parts), -1);
        for (NDArray part : parts) {
            part.close();
        }
        return joined;
    }

    /** {@code x} times rows {@code from .. to} of the weight (transposed): {@code [..., to - from]} in x's manager. */
    private NDArray rowsProduct(NDArray x, int from, int to) {
        int step = (int) Math.max(4, BLOCK_ELEMENTS / in);
        NDList pieces = new NDList();
        try (NDManager scratch = x.getManager().newSubManager()) {
            for (int r0 = from; r0 < to; r0 += step) {
                int r1 = Math.min(to, r0 + step);
                // the int8 values widened, multiplied, and the scales applied to the (smaller) product
                try (NDArray raw = raw(scratch, r0, r1);
                        NDArray w = raw.toType(x.getDataType(), false); // [r1 - r0, in]
                        NDArray s = scales(scratch, r0, r1, x.getDataType()).reshape(r1 - r0)) {
                    pieces.add(x.matMul(w.transpose()).muli(s)); // [..., r1 - r0] in x's manager
                }
            }
        }
        if (pieces.size() == 1) {
            return pieces.get(0);
        }
        NDArray joined = NDArrays.concat(pieces, -1);
        pieces.close();
        return joined;
    }

    /** Rows {@code from .. to} as floats of {@code type}, {@code [to - from, in]}, in {@code manager}. */
    public NDArray dequantize(NDManager manager, int from, int to, DataType type) {
        try (NDArray raw = raw(manager, from, to);
                NDArray wide = raw.toType(type, false);
                NDArray s = scales(manager, from, to, type)) {
            return wide.mul(s);
        }
    }

    /** Rows {@code from .. to} as an int8 engine array {@code [to - from, in]} (a copy). */
    private NDArray raw(NDManager manager, int from, int to) {
        return manager.create(ByteBuffer.wrap(q, from * in, (to - from) * in).slice(), new Shape(to - from, in),
                DataType.INT8);
    }

    /** The scales of rows {@code from .. to} as {@code [to - from, 1]} of {@code type}. */
    private NDArray scales(NDManager manager, int from, int to, DataType type) {
        NDArray s = manager.create(java.util.Arrays.copyOfRange(scale, from, to), new Shape(to - from, 1));
        return type == DataType.FLOAT32 ? s : s.toType(type, false);
    }

    /**
     * The dequantized rows {@code ids} (an embedding lookup from an int8 table): {@code [ids.length, in]}
     * fp32 in {@code manager}.
     */
    public NDArray gather(NDManager manager, long[] ids) {
        float[] rows = new float[ids.length * in];
        for (int i = 0; i < ids.length; i++) {
            int r = Math.toIntExact(ids[i]);
            float s = scale[r];
            for (int k = 0; k < in; k++) {
                rows[i * in + k] = q[r * in + k] * s;
            }
        }
        return manager.create(rows, new Shape(ids.length, in));
    }
}
