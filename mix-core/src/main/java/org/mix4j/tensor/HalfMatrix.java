package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * A {@link PackedMatrix} stored as IEEE half precision (binary16 bits in a {@code short[]}): half
 * the fp32 bytes, each weight rounded to the nearest half as {@code dtype: float16} would round
 * it, while the activations and every sum stay float32. Decode products read the halves and widen
 * them in registers; they are as exact as an fp32 product over the rounded weights.
 */
public final class HalfMatrix extends PackedMatrix {

    private final short[] h; // [out, in] row-major, binary16 bits

    private HalfMatrix(short[] h, int out, int in) {
        super(out, in);
        this.h = h;
    }

    /**
     * Rounds an {@code [out, in]} matrix of any floating type to half precision (the engine's
     * round-to-nearest-even), a block of rows at a time; {@code weight} stays open. A weight beyond
     * half's range (|w| > 65504) or not finite is refused, naming {@code name}, the row and column.
     */
    public static HalfMatrix quantize(String name, NDArray weight) {
        Shape s = weight.getShape();
        if (s.dimension() != 2 || s.get(0) * s.get(1) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": can only store a [out, in] matrix of under 2^31 elements as "
                    + "fp16, got " + s);
        }
        int out = (int) s.get(0);
        int in = (int) s.get(1);
        short[] h = new short[out * in];
        int step = Math.max(1, BLOCK_ELEMENTS / Math.max(1, in));
        for (int r0 = 0; r0 < out; r0 += step) {
            int r1 = Math.min(out, r0 + step);
            try (NDArray block = weight.get(new NDIndex("{}:{}", r0, r1));
                    NDArray half = block.toType(DataType.FLOAT16, true)) {
                ShortBuffer bits = half.toByteBuffer(true).order(ByteOrder.nativeOrder()).asShortBuffer();
                int at = r0 * in;
                bits.get(h, at, (r1 - r0) * in);
                for (int k = at, end = at + (r1 - r0) * in; k < end; k++) {
                    if ((h[k] & 0x7c00) == 0x7c00) { // exponent all ones: infinity or NaN
                        int row = k / in;
                        float value;
                        try (NDArray one = weight.get(row, k % in); NDArray f = one.toType(DataType.FLOAT32, false)) {
                            value = f.getFloat();
                        }
                        throw new IllegalArgumentException(name + ": weight [" + row + ", " + k % in + "] = " + value
                                + " cannot be stored as fp16 (finite, |w| <= 65504); load it without quantize: fp16");
                    }
                }
            }
        }
        return new HalfMatrix(h, out, in);
    }

    /**
     * Matrices of one input width stacked along the output axis, in {@code shards} row ranges as
     * {@link #stackRows} lays them out.
     */
    public static HalfMatrix stack(java.util.List<HalfMatrix> parts, int shards) {
        int rows = stackedRows(parts, shards);
        int in = parts.get(0).in;
        return new HalfMatrix(stackRows(parts, shards, in, p -> p.h, new short[Math.multiplyExact(rows, in)]), rows, in);
    }

    /** The weights {@code [out, in]} as an fp16 engine array in {@code manager}. */
    public NDArray values(NDManager manager) {
        ByteBuffer bytes = ByteBuffer.allocate(h.length * 2).order(ByteOrder.nativeOrder());
        bytes.asShortBuffer().put(h);
        return manager.create(bytes, new Shape(out, in), DataType.FLOAT16);
    }

    /** A binary16 value as a float (exact: every half is a float); infinities and NaN come out finite, see the kernel. */
    public static float toFloat(short half) {
        float magnitude = Float.intBitsToFloat((half & 0x7fff) << 13) * 0x1p112f;
        return half < 0 ? -magnitude : magnitude;
    }

    @Override
    public long bytes() {
        return 2L * h.length;
    }

    @Override
    public String kind() {
        return "fp16";
    }

    @Override
    void multiplyRows(PackedKernel kernel, float[] x, int rows, float[] y, int from, int to) {
        kernel.multiplyHalf(h, in, x, rows, y, out, from, to);
    }

    @Override
    void widenRows(PackedKernel kernel, int from, int to, ByteBuffer target) {
        kernel.dequantizeHalf(h, in, from, to, target);
    }
}
