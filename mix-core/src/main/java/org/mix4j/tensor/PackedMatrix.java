package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A weight matrix {@code [out, in]} held on the Java heap in a compact form ({@code quantize:}):
 * {@link Int8Matrix} (one byte a weight and a scale per output row) or {@link HalfMatrix} (IEEE
 * half precision, two bytes). Products with a few rows of input (decoding) read the stored form
 * through a {@link PackedKernel}, widening it to float32 in registers, the output rows split over
 * the threads of a {@link TensorParallel}: a product reads the stored bytes once and no float copy
 * of the matrix exists. Larger inputs (prefill) widen a block of rows at a time into a pooled fp32
 * scratch buffer that the engine multiplies in place, so no fp32 copy exists beyond one block.
 *
 * <p>Why the Java heap and not the engine's memory read in place: in JDK 17 the Vector API loads
 * from a direct {@code ByteBuffer} ran at about half the speed of loads from an array here (fp32
 * rows: 21-24 against 40-49 GB/s, two threads), see docs/performance.md.
 */
public abstract class PackedMatrix {

    /** Inputs with at most this many rows run through the kernel; more go through the engine. */
    public static final int KERNEL_ROWS = 16;
    /** Products smaller than this (multiply-adds) run on the calling thread. */
    private static final long MIN_SPLIT_MACS = 1L << 18;
    /** Elements widened per block on the prefill path (4 MiB of fp32: one scratch buffer). */
    static final int BLOCK_ELEMENTS = 1 << 20;

    /**
     * Prefill scratch buffers: native memory (so the engine can read them in place), one taken per
     * block product in progress and given back after, so there are as many as products ever ran at
     * once, not one per thread that ever ran one.
     */
    private static final java.util.concurrent.ConcurrentLinkedDeque<ByteBuffer> SCRATCH =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    final int out;
    final int in;

    PackedMatrix(int out, int in) {
        this.out = out;
        this.in = in;
    }

    /** {@code y = x W^T} for output rows {@code from .. to}, as {@link PackedKernel#multiplyInt8} lays it out. */
    abstract void multiplyRows(PackedKernel kernel, float[] x, int rows, float[] y, int from, int to);

    /** Rows {@code from .. to} as native-order floats at the start of {@code target}. */
    abstract void widenRows(PackedKernel kernel, int from, int to, ByteBuffer target);

    /**
     * The rows of {@code parts} (one input width) stacked along the output axis, in {@code shards}
     * row ranges each holding that range of every part in order (as {@code Linear.fusedShards} lays
     * float weights out): copies each part's {@code source} array ({@code perRow} elements a row, any
     * primitive type) into {@code target}. Returns {@code target}.
     */
    static <P extends PackedMatrix, A> A stackRows(java.util.List<P> parts, int shards, int perRow,
            java.util.function.Function<P, Object> source, A target) {
        int row = 0;
        for (int s = 0; s < shards; s++) {
            for (P p : parts) {
                int width = p.out / shards;
                System.arraycopy(source.apply(p), s * width * perRow, target, row * perRow, width * perRow);
                row += width;
            }
        }
        return target;
    }

    /** The rows {@link #stackRows} gives, after checking every part has the first one's input width and splits in {@code shards}. */
    static int stackedRows(java.util.List<? extends PackedMatrix> parts, int shards) {
        int in = parts.get(0).in;
        long total = 0;
        for (PackedMatrix p : parts) {
            if (p.in != in || p.out % shards != 0) {
                throw new IllegalArgumentException("cannot stack [" + p.out + ", " + p.in + "] with input width " + in
                        + " in " + shards + " shards");
            }
            total += p.out;
        }
        return Math.toIntExact(total);
    }

    /** Bytes this matrix holds (weights and scales): what one product reads. */
    public abstract long bytes();

    /** How the weights are held: {@code int8} or {@code fp16}, as {@code quantize:} names it. */
    public abstract String kind();

    public int outFeatures() {
        return out;
    }

    public int inFeatures() {
        return in;
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
     * {@code y = x W^T} on Java arrays through the kernel, the output rows split over the threads of
     * {@code parallel}: {@code x} is {@code [rows, in]} and {@code y} {@code [rows, out]}, row-major.
     */
    public void multiply(float[] x, int rows, float[] y, TensorParallel parallel) {
        PackedKernel kernel = PackedKernel.best();
        int ways = parallel.ways();
        if (ways == 1 || (long) rows * in * out < MIN_SPLIT_MACS || out < 8L * ways) {
            multiplyRows(kernel, x, rows, y, 0, out);
        } else {
            TensorParallel.map(ways, p -> {
                multiplyRows(kernel, x, rows, y, bound(p, ways), bound(p + 1, ways));
                return null;
            });
        }
    }

    /** Where part {@code p} of {@code ways} starts: a multiple of four rows, for the kernel's blocks. */
    private int bound(int p, int ways) {
        return p == ways ? out : (int) ((long) out * p / ways) & ~3;
    }

    /** Prefill: per thread, its rows widened a block at a time and multiplied by the engine. */
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
     * manager. Each block of rows is widened to fp32 into a pooled scratch buffer, which the engine
     * reads in place: no native allocation, no copy and no engine op per block besides the product
     * (the engine's own int8-to-float conversion ran at a third of a billion values a second here,
     * slower than the product it fed).
     */
    private NDArray rowsProduct(NDArray x, int from, int to) {
        int step = Math.max(1, BLOCK_ELEMENTS / in);
        ByteBuffer scratch = takeScratch((long) step * in);
        NDList pieces = new NDList();
        try (NDManager blocks = x.getManager().newSubManager()) {
            for (int r0 = from; r0 < to; r0 += step) {
                int r1 = Math.min(to, r0 + step);
                widenRows(PackedKernel.best(), r0, r1, scratch);
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
        ByteBuffer rows = ByteBuffer.allocate((to - from) * in * Float.BYTES).order(ByteOrder.nativeOrder());
        widenRows(PackedKernel.best(), from, to, rows);
        NDArray floats = manager.create(rows.asFloatBuffer(), new Shape(to - from, in)); // a copy: rows is ours
        if (type == DataType.FLOAT32) {
            return floats;
        }
        try (floats) {
            return floats.toType(type, false);
        }
    }

    /**
     * The rows {@code ids} widened to fp32 (an embedding lookup from a packed table):
     * {@code [ids.length, in]} in {@code manager}.
     */
    public NDArray gather(NDManager manager, long[] ids) {
        // a heap buffer: a direct one per lookup would hold native memory until the collector ran its cleaner
        ByteBuffer rows = ByteBuffer.allocate(ids.length * in * Float.BYTES).order(ByteOrder.nativeOrder());
        PackedKernel kernel = PackedKernel.best();
        for (int i = 0; i < ids.length; i++) {
            int r = Math.toIntExact(ids[i]);
            widenRows(kernel, r, r + 1, rows.duplicate().position(i * in * Float.BYTES).slice().order(ByteOrder.nativeOrder()));
        }
        return manager.create(rows.asFloatBuffer(), new Shape(ids.length, in));
    }
}
