package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

class Int4MatrixTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Int4Matrix random(Random random, int out, int in, float[] w) {
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * (i / 32 % 5 == 0 ? 0.001 : 0.05));
        }
        try (NDArray wa = manager.create(w, new Shape(out, in))) {
            return Int4Matrix.quantize("w", wa);
        }
    }

    @Test
    void eachWeightIsWithinHalfAStepOfItsGroupsScale() {
        int out = 9;
        int in = 96;
        float[] w = new float[out * in];
        Int4Matrix m = random(new Random(2), out, in, w);
        for (int k = 0; k < 32; k++) {
            w[4 * in + 32 + k] = 0; // a zero group
        }
        try (NDArray wa = manager.create(w, new Shape(out, in))) {
            m = Int4Matrix.quantize("w", wa);
        }
        for (int r = 0; r < out; r++) {
            for (int g = 0; g < in / 32; g++) {
                float max = 0;
                for (int k = 0; k < 32; k++) {
                    max = Math.max(max, Math.abs(w[r * in + g * 32 + k]));
                }
                for (int k = 0; k < 32; k++) {
                    int at = g * 32 + k;
                    // half a step (max / 16), or a whole one where +8 steps was clamped to 7
                    double bound = (w[r * in + at] * m.weight(r, at) < 0 || Math.abs(m.weight(r, at)) < max * 7 / 8 * 0.9999
                            ? max / 16 : max / 8) * 1.0001 + 1e-12;
                    assertEquals(w[r * in + at], m.weight(r, at), bound, "[" + r + ", " + at + "]");
                }
            }
        }
        for (int k = 32; k < 64; k++) {
            assertEquals(0f, m.weight(4, k));
        }
        assertEquals(9L * 96 / 2 + 4L * 9 * 3, m.bytes());
        assertEquals("int4", m.kind());
    }

    @Test
    void kernelsMatchAFloat64ReferenceOfTheStoredWeights() {
        Random random = new Random(9);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            for (int in : new int[] {32, 64, 224}) {
                for (int rows = 1; rows <= 16; rows += 5) {
                    int out = 37;
                    Int4Matrix m = random(random, out, in, new float[out * in]);
                    float[] x = new float[rows * in];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) random.nextGaussian();
                    }
                    float[] y = new float[rows * out];
                    m.multiplyRows(kernel, x, rows, y, 3, out); // columns 0..2 left alone
                    for (int i = 0; i < rows; i++) {
                        for (int r = 0; r < out; r++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int k = 0; k < in; k++) {
                                sum += (double) x[i * in + k] * m.weight(r, k);
                                magnitude += Math.abs((double) x[i * in + k] * m.weight(r, k));
                            }
                            assertEquals(r < 3 ? 0 : sum, y[i * out + r], 1e-5 * magnitude + 1e-9, kernel.name() + " in "
                                    + in + " rows " + rows + " at [" + i + ", " + r + "]");
                        }
                    }
                    ByteBuffer widened = ByteBuffer.allocate(4 * 5 * in).order(ByteOrder.nativeOrder());
                    m.widenRows(kernel, 30, 35, widened);
                    for (int r = 30; r < 35; r++) {
                        for (int k = 0; k < in; k++) {
                            assertEquals(m.weight(r, k), widened.getFloat(4 * ((r - 30) * in + k)), kernel.name() + " widened ["
                                    + r + ", " + k + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void bothProductPathsFollowTheEngineOverTheStoredWeights() {
        float[] w = new float[40 * 64];
        Int4Matrix m = random(new Random(4), 40, 64, w);
        try (NDArray x = manager.randomNormal(new Shape(3, 64)); NDArray stored = m.dequantize(manager, 0, 40, DataType.FLOAT32);
                NDArray expected = x.matMul(stored.transpose()); NDArray tall = x.tile(new long[] {8, 1})) {
            float[] e = expected.toFloatArray();
            for (TensorParallel parallel : new TensorParallel[] {TensorParallel.SERIAL, TensorParallel.of(2)}) {
                float[] k = m.multiply(x, parallel).toFloatArray(); // 3 rows: the kernel
                float[] b = m.multiply(tall, parallel).toFloatArray(); // 24 rows: widened blocks and the engine
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], k[i], 1e-5f * (1 + Math.abs(e[i])), "kernel " + parallel + " at " + i);
                    assertEquals(e[i], b[i], 1e-5f * (1 + Math.abs(e[i])), "blocks " + parallel + " at " + i);
                }
            }
            float[] rows = m.gather(manager, new long[] {39, 0}).toFloatArray();
            for (int k = 0; k < 64; k++) {
                assertEquals(m.weight(39, k), rows[k]);
                assertEquals(m.weight(0, k), rows[64 + k]);
            }
        }
    }

    @Test
    void anInputWidthOutsideTheGroupsIsPaddedWithZeros() {
        Random random = new Random(8);
        for (int in : new int[] {24, 48, 70}) {
            float[] w = new float[13 * in];
            Int4Matrix m = random(random, 13, in, w);
            for (int r = 0; r < 13; r++) {
                for (int k = 0; k < in; k++) {
                    assertEquals(w[r * in + k], m.weight(r, k), 0.05f * 5 / 8 + 1e-6f, in + " wide [" + r + ", " + k + "]");
                }
            }
            try (NDArray x = manager.randomNormal(new Shape(2, in)); NDArray stored = m.dequantize(manager, 0, 13,
                    DataType.FLOAT32); NDArray expected = x.matMul(stored.transpose()); NDArray tall = x.tile(new long[] {9, 1})) {
                assertEquals(new Shape(13, in), stored.getShape());
                float[] e = expected.toFloatArray();
                float[] k = m.multiply(x, TensorParallel.SERIAL).toFloatArray();
                float[] b = m.multiply(tall, TensorParallel.SERIAL).toFloatArray();
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], k[i], 1e-5f * (1 + Math.abs(e[i])), in + " wide, kernel at " + i);
                    assertEquals(e[i], b[i], 1e-5f * (1 + Math.abs(e[i])), in + " wide, blocks at " + i);
                }
                float[] row = m.gather(manager, new long[] {12}).toFloatArray();
                for (int c = 0; c < in; c++) {
                    assertEquals(m.weight(12, c), row[c]);
                }
            }
        }
    }

    @Test
    void stackInterleavesShardsWithTheirScales() {
        Random random = new Random(6);
        Int4Matrix a = random(random, 4, 32, new float[4 * 32]);
        Int4Matrix b = random(random, 2, 32, new float[2 * 32]);
        Int4Matrix s = Int4Matrix.stack(java.util.List.of(a, b), 2);
        int[][] order = {{0, 0}, {0, 1}, {1, 0}, {0, 2}, {0, 3}, {1, 1}}; // shard 0: a 0-1, b 0; shard 1: a 2-3, b 1
        for (int r = 0; r < 6; r++) {
            Int4Matrix from = order[r][0] == 0 ? a : b;
            for (int k = 0; k < 32; k++) {
                assertEquals(from.weight(order[r][1], k), s.weight(r, k), "row " + r + " input " + k);
            }
        }
    }
}
