package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FloatMatrixTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void kernelsMatchAFloat64ReferenceOnOddSizes() {
        Random random = new Random(5);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            for (int in : new int[] {1, 7, 8, 13, 67, 203}) {
                for (int rows = 1; rows <= 16; rows += 5) {
                    int out = 37;
                    float[] w = new float[out * in];
                    float[] x = new float[rows * in];
                    for (int i = 0; i < w.length; i++) {
                        w[i] = (float) random.nextGaussian();
                    }
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) random.nextGaussian();
                    }
                    float[] y = new float[rows * out];
                    kernel.multiplyFloat(w, in, x, rows, y, out, 3, out); // columns 0..2 left alone
                    for (int i = 0; i < rows; i++) {
                        for (int r = 0; r < out; r++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int k = 0; k < in; k++) {
                                sum += (double) x[i * in + k] * w[r * in + k];
                                magnitude += Math.abs((double) x[i * in + k] * w[r * in + k]);
                            }
                            assertEquals(r < 3 ? 0 : sum, y[i * out + r], 1e-6 * magnitude, kernel.name() + " in " + in
                                    + " rows " + rows + " at [" + i + ", " + r + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void holdsTheValuesAsLoadedAndStacksShards() {
        float[] a = new float[4 * 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 0.1f;
        }
        try (NDArray aa = manager.create(a, new Shape(4, 3)); NDArray half = aa.toType(DataType.FLOAT16, false);
                NDArray ba = manager.create(new float[] {-1, -2, -3, -4, -5, -6}, new Shape(2, 3))) {
            FloatMatrix m = FloatMatrix.of("a", aa);
            assertEquals(48, m.bytes());
            assertEquals("fp32", m.kind());
            try (NDArray v = m.values(manager); NDArray rows = m.gather(manager, new long[] {3, 0})) {
                assertArrayEquals(a, v.toFloatArray());
                assertArrayEquals(new float[] {9.1f, 10.1f, 11.1f, 0.1f, 1.1f, 2.1f}, rows.toFloatArray());
            }
            try (NDArray widened = half.toType(DataType.FLOAT32, false); NDArray v = FloatMatrix.of("h", half).values(manager)) {
                assertArrayEquals(widened.toFloatArray(), v.toFloatArray()); // a half checkpoint widens exactly
            }
            FloatMatrix s = FloatMatrix.stack(java.util.List.of(m, FloatMatrix.of("b", ba)), 2);
            try (NDArray all = s.dequantize(manager, 0, 6, DataType.FLOAT32)) {
                assertArrayEquals(new float[] {0.1f, 1.1f, 2.1f, 3.1f, 4.1f, 5.1f, -1, -2, -3, 6.1f, 7.1f, 8.1f, 9.1f, 10.1f,
                        11.1f, -4, -5, -6}, all.toFloatArray());
            }
        }
    }

    @Test
    void aWeightTheHeapCannotHoldIsRefusedBeforeCopying() {
        long rows = Runtime.getRuntime().maxMemory() / (4L * 4096) + 4096; // more than the whole heap as floats
        try (NDArray one = manager.zeros(new Shape(1, 1)); NDArray huge = one.broadcast(new Shape(rows, 4096))) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> WeightFormat.FP32.pack("model.lm_head", huge)); // a view: no memory behind its shape
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("model.lm_head: quantize: fp32 needs "),
                    e.getMessage());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("-Xmx"), e.getMessage());
        }
    }
}
