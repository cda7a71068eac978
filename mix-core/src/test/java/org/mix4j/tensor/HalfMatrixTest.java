package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HalfMatrixTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Every finite half (63,488 bit patterns: normals, subnormals, both zeros), widened by the engine. */
    private short[] finiteHalves() {
        short[] h = new short[63488];
        int n = 0;
        for (int bits = 0; bits < 65536; bits++) {
            if ((bits & 0x7c00) != 0x7c00) {
                h[n++] = (short) bits;
            }
        }
        assertEquals(h.length, n);
        return h;
    }

    private float[] engineWidened(short[] h) {
        ByteBuffer bytes = ByteBuffer.allocate(2 * h.length).order(ByteOrder.nativeOrder());
        bytes.asShortBuffer().put(h);
        try (NDArray half = manager.create(bytes, new Shape(h.length), DataType.FLOAT16);
                NDArray f = half.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    @Test
    void everyFiniteHalfWidensExactlyAsTheEngineWidensIt() {
        short[] h = finiteHalves();
        float[] expected = engineWidened(h);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            // as rows of 31 (not a multiple of the vector length): the widening of the prefill blocks
            int in = 31;
            int rows = h.length / in;
            ByteBuffer target = ByteBuffer.allocateDirect(4 * rows * in).order(ByteOrder.nativeOrder());
            kernel.dequantizeHalf(h, in, 0, rows, target);
            for (int i = 0; i < rows * in; i++) {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(target.getFloat(4 * i)),
                        kernel.name() + ": half 0x" + Integer.toHexString(h[i] & 0xffff));
            }
            // and through the product: x one-hot picks each weight of a row, times 1 and times 2^-20
            for (float one : new float[] {1f, 0x1p-20f}) {
                int width = 24;
                float[] y = new float[width];
                for (int r0 = 0; r0 + width <= h.length; r0 += 997 * width) { // a spread of rows of the patterns
                    short[] column = new short[width];
                    System.arraycopy(h, r0, column, 0, width); // [width, 1]: one weight a row
                    kernel.multiplyHalf(column, 1, new float[] {one}, 1, y, width, 0, width);
                    for (int r = 0; r < width; r++) {
                        assertEquals(expected[r0 + r] * one, y[r], 0f, kernel.name() + ": half 0x"
                                + Integer.toHexString(column[r] & 0xffff) + " times " + one);
                    }
                }
            }
        }
        assertEquals(-0f, HalfMatrix.toFloat((short) 0x8000));
        assertEquals(65504f, HalfMatrix.toFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfMatrix.toFloat((short) 0x0001)); // the smallest subnormal
    }

    @Test
    void kernelsMatchAFloat64ReferenceOnOddSizes() {
        Random random = new Random(11);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            for (int in : new int[] {1, 7, 8, 13, 67, 203}) {
                for (int rows = 1; rows <= 16; rows += 5) {
                    int out = 37;
                    float[] w = new float[out * in];
                    for (int i = 0; i < w.length; i++) { // typical weights, some tiny (subnormal halves), some zero
                        w[i] = i % 11 == 0 ? 0f : (float) (random.nextGaussian() * (i % 7 == 0 ? 1e-6 : 0.05));
                    }
                    short[] h;
                    float[] rounded;
                    try (NDArray wa = manager.create(w, new Shape(out, in))) {
                        HalfMatrix m = HalfMatrix.quantize("w", wa);
                        h = halves(m);
                        rounded = engineWidened(h);
                    }
                    float[] x = new float[rows * in];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (random.nextGaussian() * (i % 5 == 0 ? 300 : 1));
                    }
                    float[] y = new float[rows * out];
                    kernel.multiplyHalf(h, in, x, rows, y, out, 3, out); // columns 0..2 left alone
                    for (int i = 0; i < rows; i++) {
                        for (int r = 0; r < out; r++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int k = 0; k < in; k++) {
                                sum += (double) x[i * in + k] * rounded[r * in + k];
                                magnitude += Math.abs((double) x[i * in + k] * rounded[r * in + k]);
                            }
                            double expected = r < 3 ? 0 : sum;
                            assertEquals(expected, y[i * out + r], 1e-6 * magnitude + 1e-30, kernel.name() + " in " + in
                                    + " rows " + rows + " at [" + i + ", " + r + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void largeInputsAreNotScaledPastFloatRange() {
        short[] h = {0x3c00, (short) 0xbc00, 0x7bff, 0x0001}; // 1, -1, 65504, 2^-24
        float[] y = new float[1];
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            kernel.multiplyHalf(h, 4, new float[] {1e30f, 1e30f, 1e30f, 0}, 1, y, 1, 0, 1);
            assertEquals(65504e30f, y[0], 65504e30f * 1e-6f, kernel.name());
            kernel.multiplyHalf(h, 4, new float[] {0, 0, 0, 1e20f}, 1, y, 1, 0, 1);
            assertEquals(0x1p-24f * 1e20f, y[0], 1e13f * 1e-6f, kernel.name());
        }
    }

    @Test
    void roundsToTheNearestHalfAndMultipliesAsTheEngine() {
        float[] w = new float[40 * 96];
        Random random = new Random(3);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 0.1);
        }
        float[] x = new float[3 * 96];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        try (NDArray wa = manager.create(w, new Shape(40, 96)); NDArray xa = manager.create(x, new Shape(3, 96));
                NDArray wh = wa.toType(DataType.FLOAT16, false); NDArray wr = wh.toType(DataType.FLOAT32, false)) {
            HalfMatrix m = HalfMatrix.quantize("w", wa);
            assertEquals(2L * 40 * 96, m.bytes());
            assertEquals("fp16", m.kind());
            float[] rounded = wr.toFloatArray();
            try (NDArray back = m.dequantize(manager, 0, 40, DataType.FLOAT32)) {
                assertArrayEquals(rounded, back.toFloatArray());
            }
            try (NDArray stored = m.values(manager); NDArray f = stored.toType(DataType.FLOAT32, false)) {
                assertEquals(DataType.FLOAT16, stored.getDataType());
                assertArrayEquals(rounded, f.toFloatArray());
            }
            try (NDArray expected = xa.matMul(wr.transpose())) {
                float[] e = expected.toFloatArray();
                for (TensorParallel parallel : new TensorParallel[] {TensorParallel.SERIAL, TensorParallel.of(2)}) {
                    try (NDArray kernelPath = m.multiply(xa, parallel); // 3 rows: the kernel
                            NDArray tall = xa.tile(new long[] {8, 1}); // 24 rows: widened blocks and the engine
                            NDArray blockPath = m.multiply(tall, parallel)) {
                        float[] k = kernelPath.toFloatArray();
                        float[] b = blockPath.toFloatArray();
                        for (int i = 0; i < e.length; i++) {
                            assertEquals(e[i], k[i], 1e-5f * (1 + Math.abs(e[i])), "kernel " + parallel + " at " + i);
                            assertEquals(e[i], b[i % e.length + 0], 1e-5f * (1 + Math.abs(e[i])), "blocks " + parallel);
                        }
                        assertEquals(24 * 40, b.length);
                    }
                }
            }
            try (NDArray rows = m.gather(manager, new long[] {39, 0, 39})) {
                float[] g = rows.toFloatArray();
                for (int k = 0; k < 96; k++) {
                    assertEquals(rounded[39 * 96 + k], g[k]);
                    assertEquals(rounded[k], g[96 + k]);
                    assertEquals(rounded[39 * 96 + k], g[192 + k]);
                }
            }
        }
    }

    @Test
    void aWeightBeyondHalfRangeIsRefusedByNameAndPlace() {
        float[] w = new float[4 * 5];
        w[2 * 5 + 3] = 70000f;
        try (NDArray wa = manager.create(w, new Shape(4, 5))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HalfMatrix.quantize("model.layers.0.mlp.down_proj", wa));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj: weight [2, 3] = 70000.0"), e.getMessage());
            assertTrue(e.getMessage().contains("65504"), e.getMessage());
        }
    }

    @Test
    void stackInterleavesShardsAsTheFloatLayout() {
        float[] a = new float[4 * 3];
        float[] b = new float[2 * 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = -(i + 1);
        }
        try (NDArray aa = manager.create(a, new Shape(4, 3)); NDArray ba = manager.create(b, new Shape(2, 3))) {
            HalfMatrix s = HalfMatrix.stack(java.util.List.of(HalfMatrix.quantize("a", aa), HalfMatrix.quantize("b", ba)), 2);
            try (NDArray all = s.dequantize(manager, 0, 6, DataType.FLOAT32)) {
                // shard 0: a's rows 0-1, b's row 0; shard 1: a's rows 2-3, b's row 1
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, -1, -2, -3, 7, 8, 9, 10, 11, 12, -4, -5, -6},
                        all.toFloatArray());
            }
        }
    }

    private static short[] halves(HalfMatrix m) {
        try (NDManager local = NDManager.newBaseManager(); NDArray v = m.values(local)) {
            short[] h = new short[m.outFeatures() * m.inFeatures()];
            v.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer().get(h);
            return h;
        }
    }

    private static void assertArrayEquals(float[] expected, float[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }
}
