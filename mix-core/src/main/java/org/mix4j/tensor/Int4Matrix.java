package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A {@link PackedMatrix} stored as 4-bit integers in groups of {@value #GROUP} along each row, one
 * float scale per group ({@code w ~ scale * q}, {@code q} in -8..7; {@code scale = m / -8} for the
 * group's weight {@code m} of largest magnitude, so that one lands on -8 exactly and all sixteen
 * levels are used, as llama.cpp's Q4_0 does): an eighth of the fp32 bytes plus a scale per 32 weights (0.625 bytes a weight in
 * all). Two weights share a byte: in each group's 16 bytes, byte {@code j} holds weight {@code j} in
 * its low nibble and weight {@code j + 16} in its high one, each as {@code q + 8}, so the kernel widens
 * eight bytes into two runs of eight consecutive weights with a mask and a shift. An input width
 * that is not a multiple of {@value #GROUP} is padded with zero weights to the next one (the stored
 * row {@code stride}), and the input with zeros to match.
 */
public final class Int4Matrix extends PackedMatrix {

    /** Weights per scale. */
    public static final int GROUP = 32;

    private final byte[] q; // [out, stride / 2], nibbles as above
    private final float[] scale; // [out, stride / GROUP]
    private final int stride; // in, rounded up to a whole group

    private Int4Matrix(byte[] q, float[] scale, int out, int in) {
        super(out, in);
        this.q = q;
        this.scale = scale;
        this.stride = stride(in);
    }

    private static int stride(int in) {
        return (in + GROUP - 1) / GROUP * GROUP;
    }

    /** Quantizes an {@code [out, in]} matrix of any floating type, a block of rows at a time; {@code weight} stays open. */
    public static Int4Matrix quantize(String name, NDArray weight) {
        Shape s = weight.getShape();
        if (s.dimension() != 2 || s.get(0) * s.get(1) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": can only quantize a [out, in] matrix of under 2^31 elements "
                    + "to int4, got " + s);
        }
        int out = (int) s.get(0);
        int in = (int) s.get(1);
        int stride = stride(in);
        int groups = stride / GROUP;
        byte[] q = new byte[Math.toIntExact((long) out * stride / 2)];
        float[] scale = new float[out * groups];
        int step = Math.max(1, BLOCK_ELEMENTS / in);
        for (int r0 = 0; r0 < out; r0 += step) {
            int r1 = Math.min(out, r0 + step);
            try (NDArray block = weight.get(new NDIndex("{}:{}", r0, r1));
                    NDArray f = block.toType(DataType.FLOAT32, true)) {
                FloatBuffer w = f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (int r = r0; r < r1; r++) {
                    for (int g = 0; g < groups; g++) {
                        int at = (r - r0) * in + g * GROUP;
                        int width = Math.min(GROUP, in - g * GROUP); // the last group of a padded row is short
                        float m = 0;
                        for (int k = 0; k < width; k++) {
                            float v = w.get(at + k);
                            m = Math.abs(v) > Math.abs(m) ? v : m;
                        }
                        scale[r * groups + g] = m == 0 ? 0 : m / -8f;
                        float inv = m == 0 ? 0 : -8f / m;
                        int bytes = (r * stride + g * GROUP) / 2;
                        for (int j = 0; j < GROUP / 2; j++) {
                            int lo = j < width ? Math.max(-8, Math.min(7, Math.round(w.get(at + j) * inv))) + 8 : 8;
                            int hi = j + GROUP / 2 < width
                                    ? Math.max(-8, Math.min(7, Math.round(w.get(at + j + GROUP / 2) * inv))) + 8 : 8;
                            q[bytes + j] = (byte) (lo | hi << 4);
                        }
                    }
                }
            }
        }
        return new Int4Matrix(q, scale, out, in);
    }

    /** Matrices of one input width stacked along the output axis, in {@code shards} row ranges ({@link #stackRows}). */
    public static Int4Matrix stack(java.util.List<Int4Matrix> parts, int shards) {
        int rows = stackedRows(parts, shards);
        int in = parts.get(0).in;
        int stride = stride(in);
        byte[] q = stackRows(parts, shards, stride / 2, p -> p.q, new byte[Math.multiplyExact(rows, stride / 2)]);
        float[] scale = stackRows(parts, shards, stride / GROUP, p -> p.scale, new float[rows * (stride / GROUP)]);
        return new Int4Matrix(q, scale, rows, in);
    }

    /** Weight {@code [r, k]} as stored ({@code q * scale}), for checks. */
    public float weight(int r, int k) {
        int g = k / GROUP;
        int j = k % GROUP;
        int b = q[(r * stride + g * GROUP) / 2 + j % (GROUP / 2)];
        int nibble = j < GROUP / 2 ? b & 0xF : (b >> 4) & 0xF;
        return (nibble - 8) * scale[r * (stride / GROUP) + g];
    }

    @Override
    public long bytes() {
        return (long) q.length + 4L * scale.length;
    }

    @Override
    public String kind() {
        return "int4";
    }

    @Override
    void multiplyRows(PackedKernel kernel, float[] x, int rows, float[] y, int from, int to) {
        float[] padded = x;
        if (stride != in) { // each row of x followed by zeros, as the weights are
            padded = new float[rows * stride];
            for (int i = 0; i < rows; i++) {
                System.arraycopy(x, i * in, padded, i * stride, in);
            }
        }
        kernel.multiplyInt4(q, scale, stride, padded, rows, y, out, from, to);
    }

    @Override
    void widenRows(PackedKernel kernel, int from, int to, ByteBuffer target) {
        if (stride == in) {
            kernel.dequantizeInt4(q, scale, in, from, to, target);
            return;
        }
        ByteBuffer rows = ByteBuffer.allocate((to - from) * stride * Float.BYTES).order(ByteOrder.nativeOrder());
        kernel.dequantizeInt4(q, scale, stride, from, to, rows);
        for (int r = 0; r < to - from; r++) { // the padding dropped
            target.put(r * in * Float.BYTES, rows, r * stride * Float.BYTES, in * Float.BYTES);
        }
    }
}
