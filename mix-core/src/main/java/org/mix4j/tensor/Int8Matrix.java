package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A {@link PackedMatrix} stored as int8 with one symmetric scale per output row
 * ({@code w[r, k] ~ scale[r] * q[r, k]}, {@code scale[r] = max_k |w[r, k]| / 127}): a quarter of
 * the fp32 bytes.
 */
public final class Int8Matrix extends PackedMatrix {

    private final byte[] q; // [out, in] row-major
    private final float[] scale; // [out]

    private Int8Matrix(byte[] q, float[] scale, int out, int in) {
        super(out, in);
        this.q = q;
        this.scale = scale;
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
        int step = Math.max(1, PackedMatrix.BLOCK_ELEMENTS / Math.max(1, in));
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
        int rows = stackedRows(parts, shards);
        int in = parts.get(0).in;
        byte[] q = stackRows(parts, shards, in, p -> p.q, new byte[Math.multiplyExact(rows, in)]);
        float[] scale = stackRows(parts, shards, 1, p -> p.scale, new float[rows]);
        return new Int8Matrix(q, scale, rows, in);
    }

    /** The int8 values {@code [out, in]} as an engine array in {@code manager} (to save them). */
    public NDArray values(NDManager manager) {
        return manager.create(ByteBuffer.wrap(q), new Shape(out, in), DataType.INT8);
    }

    /** The per-row scales {@code [out]} as fp32 in {@code manager} (to save them). */
    public NDArray scales(NDManager manager) {
        return manager.create(scale.clone(), new Shape(out));
    }

    @Override
    public long bytes() {
        return (long) q.length + 4L * scale.length;
    }

    @Override
    public String kind() {
        return "int8";
    }

    @Override
    void multiplyRows(PackedKernel kernel, float[] x, int rows, float[] y, int from, int to) {
        kernel.multiplyInt8(q, scale, in, x, rows, y, out, from, to);
    }

    @Override
    void widenRows(PackedKernel kernel, int from, int to, ByteBuffer target) {
        kernel.dequantizeInt8(q, scale, in, from, to, target);
    }
}
