package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A weight matrix {@code [out, in]} stored as int8 with one symmetric scale per output row
 * ({@code w[r, k] ~ scale[r] * q[r, k]}, {@code scale[r] = max_k |w[r, k]| / 127}), on the Java heap:
 * a quarter of the fp32 bytes. Products with a few rows of input (decoding) read the int8 bytes
 * through an {@link Int8Kernel}, the output rows split over the threads of a {@link TensorParallel};
 * larger inputs (prefill) dequantize a block of rows at a time into a pooled fp32 scratch buffer
 * that the engine multiplies in place, so no fp32 copy of the matrix exists beyond one block.
 */
public final class Int8Matrix {

    /** Inputs with at most this many rows run through the int8 kernel; more go through the engine. */
    public static final int KERNEL_ROWS = 16;
    /** Products smaller than this (multiply-adds) run on the calling thread. */
    private static final long MIN_SPLIT_MACS = 1L << 18;
    /** Elements dequantized per block on the prefill path (4 MiB of fp32: one scratch buffer). */
    private static final int BLOCK_ELEMENTS = 1 << 20;

    /**
     * Prefill scratch buffers: native memory (so the engine can read them in place), one taken per
     * block product in progress and given back after, so there are as many as products ever ran at
     * once, not one per thread that ever ran one.
     */
    private static final java.util.concurrent.ConcurrentLinkedDeque<ByteBuffer> SCRATCH =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

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
        int step = Math.max(1, BLOCK_ELEMENTS / Math.max(1, in));
        for (int r0 = 0; r0 < out; r0 += step) {
            int r1 = Math.min(out, r0 + step);
            try (NDArray block = weight.get(new NDIndex("{}:{}", r0, r1));
                    NDArray f = block.toType(DataType.FLOAT32, true)) {
                // the engine's own memory, read in place: no Java copy of the fp32 block to leave on the heap
                FloatBuffer w = f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (int r = r0; r < r1; r++) {
                    int at = (r - r0) * in;
                    float max = 0;
                    for (int k = 0; k < in; k++) {
                        max = Math.max(max, Math.abs(w.get(at + k)));
                    }
                    scale[r] = max / 127f;
                    float inv = max == 0 ? 0 : 127f / max;
                    for (int k = 0; k < in; k++) {
                        q[r * in + k] = (byte) Math.max(-127, Math.min(127, Math.round(w.get(at + k) * inv)));
                    }
                }
            }
        }
        return new Int8Matrix(q, scale, out, in);
    }

    /**
     * A matrix stored pre-quantized: {@code values} int8 {@code [out, in]} and {@code scales}
     * {@code [out]} of a floating type, as {@code mix quantize} writes them ({@code name.weight},
     * {@code name.weight_scale}); both stay open. {@code name} is for messages.
     */
    public static Int8Matrix of(String name, NDArray values, NDArray scales) {
        Shape vs = values.getShape();
        if (values.getDataType() != DataType.INT8 || vs.dimension() != 2 || vs.size() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ".weight: a pre-quantized weight must be I8 [out, in] (under 2^31 "
                    + "values), got " + values.getDataType() + " " + vs);
        }
        if (!scales.getDataType().isFloating() || !scales.getShape().equals(new Shape(vs.get(0)))) {
            throw new IllegalArgumentException(name + ".weight_scale: must be one floating scale per row of "
                    + name + ".weight, [" + vs.get(0) + "], got " + scales.getDataType() + " " + scales.getShape());
        }
        byte[] q = new byte[(int) vs.size()];
        values.toByteBuffer(true).get(q);
        float[] scale;
        try (NDArray f = scales.toType(DataType.FLOAT32, true)) {
            scale = f.toFloatArray();
        }
        for (int r = 0; r < scale.length; r++) {
            if (!Float.isFinite(scale[r]) || scale[r] < 0) {
                throw new IllegalArgumentException(name + ".weight_scale: row " + r + " has scale " + scale[r]
                        + "; scales are finite and >= 0");
            }
        }
        return new Int8Matrix(q, scale, (int) vs.get(0), (int) vs.get(1));
    }

    /**
     * Matrices of one input width stacked along the output axis, as {@code Linear.fused} stacks
     * float weights; with {@code shards > 1}, in {@code shards} row ranges, each holding that range of
     * every part in order (as {@code Linear.fusedShards} lays them out). Per-row scales make this the
     * same as quantizing the stacked float matrix.
     */
    public static Int8Matrix stack(java.util.List<Int8Matrix> parts, int shards) {
        int in = parts.get(0).in;
        long total = 0;
        for (Int8Matrix p : parts) {
            if (p.in != in || p.out % shards != 0) {
                throw new IllegalArgumentException("cannot stack [" + p.out + ", " + p.in + "] with input width " + in
                        + " in " + shards + " shards");
            }
            total += p.out;
        }
        byte[] q = new byte[Math.toIntExact(total * in)];
        float[] scale = new float[(int) total];
        int row = 0;
        for (int s = 0; s < shards; s++) {
            for (Int8Matrix p : parts) {
                int width = p.out / shards;
                System.arraycopy(p.q, s * width * in, q, row * in, width * in);
                System.arraycopy(p.scale, s * width, scale, row, width);
                row += width;
            }
        }
        return new Int8Matrix(q, scale, (int) total, in);
    }

    /** The int8 values {@code [out, in]} as an engine array in {@code manager} (to save them). */
    public NDArray values(NDManager manager) {
        return manager.create(ByteBuffer.wrap(q), new Shape(out, in), DataType.INT8);
    }

    /** The per-row scales {@code [out]} as fp32 in {@code manager} (to save them). */
    public NDArray scales(NDManager manager) {
        return manager.create(scale.clone(), new Shape(out));
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
        multiply(xs, rows, ys, parallel);
        Shape lead = x.getShape().slice(0, x.getShape().dimension() - 1);
        NDArray y = x.getManager().create(ys, lead.add(out));
        return x.getDataType() == DataType.FLOAT32 ? y : y.toType(x.getDataType(), false);
    }

    /**
     * {@code y = x W^T} on Java arrays through the int8 kernel, the output rows split over the threads
     * of {@code parallel}: {@code x} is {@code [rows, in]} and {@code y} {@code [rows, out]}, row-major.
     */
    public void multiply(float[] x, int rows, float[] y, TensorParallel parallel) {
        Int8Kernel kernel = Int8Kernel.best();
        int ways = parallel.ways();
        if (ways == 1 || (long) rows * in * out < MIN_SPLIT_MACS || out < 8L * ways) {
            kernel.multiply(q, scale, in, x, rows, y, out, 0, out);
        } else {
            TensorParallel.map(ways, p -> {
                kernel.multiply(q, scale, in, x, rows, y, out, bound(p, ways), bound(p + 1, ways));
                return null;
            });
        }
    }

    /** Where part {@code p} of {@code ways} starts: a multiple of four rows, for the kernel's blocks. */
    private int bound(int p, int ways) {
        return p == ways ? out : (int) ((long) out * p / ways) & ~3;
    }

    /** Prefill: per thread, its rows dequantized a block at a time and multiplied by the engine. */
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

    /**
     * {@code x} times rows {@code from .. to} of the weight (transposed): {@code [..., to - from]} in x's
     * manager. Each block of rows is dequantized (scales applied) into a pooled scratch buffer,
     * which the engine reads in place: no native allocation, no copy and no engine op per block besides
     * the product (the engine's own int8-to-float conversion ran at a third of a billion values a
     * second here, slower than the product it fed).
     */
    private NDArray rowsProduct(NDArray x, int from, int to) {
        int step = Math.max(1, BLOCK_ELEMENTS / in);
        ByteBuffer scratch = takeScratch((long) step * in);
        NDList pieces = new NDList();
        try (NDManager blocks = x.getManager().newSubManager()) {
            for (int r0 = from; r0 < to; r0 += step) {
                int r1 = Math.min(to, r0 + step);
                Int8Kernel.best().dequantize(q, scale, in, r0, r1, scratch);
                try (NDArray w = view(blocks, scratch, r0, r1, x.getDataType())) { // [r1 - r0, in]
                    pieces.add(x.matMul(w.transpose())); // [..., r1 - r0] in x's manager
                }
            }
        } finally {
            SCRATCH.offerFirst(scratch); // the block arrays that read it are closed with the sub-manager
        }
        if (pieces.size() == 1) {
            return pieces.get(0);
        }
        NDArray joined = NDArrays.concat(pieces, -1);
        pieces.close();
        return joined;
    }

    /** A scratch buffer of at least {@code floats} floats, native byte order: a free one, else a new one. */
    private static ByteBuffer takeScratch(long floats) {
        ByteBuffer b = SCRATCH.pollFirst();
        if (b == null || b.capacity() < floats * Float.BYTES) { // a smaller one is dropped: the collector frees it
            b = ByteBuffer.allocateDirect(Math.toIntExact(Math.max(floats, BLOCK_ELEMENTS) * Float.BYTES))
                    .order(ByteOrder.nativeOrder());
        }
        return b;
    }

    /** The first {@code (to - from) x in} floats of the scratch as an engine array of {@code type}, read in place. */
    private NDArray view(NDManager manager, ByteBuffer scratch, int from, int to, DataType type) {
        ByteBuffer bytes = scratch.duplicate().limit((to - from) * in * Float.BYTES);
        NDArray floats = manager.create(bytes.slice().order(ByteOrder.nativeOrder()), new Shape(to - from, in),
                DataType.FLOAT32);
        if (type == DataType.FLOAT32) {
            return floats;
        }
        try (floats) {
            return floats.toType(type, true); // a copy: the scratch is refilled for the next block
        }
    }

    /** Rows {@code from .. to} as floats of {@code type}, {@code [to - from, in]}, in {@code manager}. */
    public NDArray dequantize(NDManager manager, int from, int to, DataType type) {
        ByteBuffer rows = ByteBuffer.allocateDirect((to - from) * in * Float.BYTES).order(ByteOrder.nativeOrder());
        Int8Kernel.best().dequantize(q, scale, in, from, to, rows);
        NDArray floats = manager.create(rows.asFloatBuffer(), new Shape(to - from, in)); // a copy: rows is ours
        if (type == DataType.FLOAT32) {
            return floats;
        }
        try (floats) {
            return floats.toType(type, false);
        }
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
