package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@link PackedMatrix} of float32 weights in a {@code float[]}: the values as loaded (a float16
 * or bfloat16 checkpoint widened exactly), held on the Java heap instead of in the engine so that a
 * decode step reads them with the Vector API from an array, the fastest load the JDK 17 Vector API
 * has (a float32 product read 40-49 GB/s here from an array against 32-35 through the engine and
 * 21-24 from the engine's memory read in place; docs/performance.md). Nothing is rounded:
 * {@code quantize: fp32} gives the engine path's logits to float32 rounding.
 */
public final class FloatMatrix extends PackedMatrix {

    private final float[] w; // [out, in] row-major

    private FloatMatrix(float[] w, int out, int in) {
        super(out, in);
        this.w = w;
    }

    /** An {@code [out, in]} matrix of any floating type as float32, a block of rows at a time; {@code weight} stays open. */
    public static FloatMatrix of(String name, NDArray weight) {
        Shape s = weight.getShape();
        if (s.dimension() != 2 || s.get(0) * s.get(1) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": can only hold a [out, in] matrix of under 2^31 elements in a "
                    + "Java array, got " + s);
        }
        int out = (int) s.get(0);
        int in = (int) s.get(1);
        float[] w = new float[out * in];
        int step = Math.max(1, BLOCK_ELEMENTS / Math.max(1, in));
        for (int r0 = 0; r0 < out; r0 += step) {
            int r1 = Math.min(out, r0 + step);
            try (NDArray block = weight.get(new NDIndex("{}:{}", r0, r1));
                    NDArray f = block.toType(DataType.FLOAT32, true)) {
                f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(w, r0 * in, (r1 - r0) * in);
            }
        }
        return new FloatMatrix(w, out, in);
    }

    /** Matrices of one input width stacked along the output axis, in {@code shards} row ranges ({@link #stackRows}). */
    public static FloatMatrix stack(java.util.List<FloatMatrix> parts, int shards) {
        int rows = stackedRows(parts, shards);
        int in = parts.get(0).in;
        return new FloatMatrix(stackRows(parts, shards, in, p -> p.w, new float[Math.multiplyExact(rows, in)]), rows, in);
    }

    /** The weights {@code [out, in]} as a float32 engine array in {@code manager}. */
    public NDArray values(NDManager manager) {
        return manager.create(w, new Shape(out, in));
    }

    @Override
    public long bytes() {
        return 4L * w.length;
    }

    @Override
    public String kind() {
        return "fp32";
    }

    @Override
    void multiplyRows(PackedKernel kernel, float[] x, int rows, float[] y, int from, int to) {
        kernel.multiplyFloat(w, in, x, rows, y, out, from, to);
    }

    @Override
    void widenRows(PackedKernel kernel, int from, int to, ByteBuffer target) {
        target.order(ByteOrder.nativeOrder()).asFloatBuffer().put(w, from * in, (to - from) * in);
    }
}
