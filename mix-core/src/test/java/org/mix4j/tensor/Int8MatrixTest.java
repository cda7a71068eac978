package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Int8MatrixTest {

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
    void surefireRunsTheVectorKernel() {
        assertEquals("vector", PackedKernel.best().name(), "the build's argLine adds jdk.incubator.vector");
    }

    @Test
    void kernelsMatchAFloat64ReferenceOnOddSizes() {
        Random random = new Random(7);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            for (int in : new int[] {1, 7, 8, 13, 67, 203}) {
                for (int rows = 1; rows <= 16; rows += 5) {
                    int out = 37;
                    byte[] q = new byte[out * in];
                    float[] scale = new float[out];
                    float[] x = new float[rows * in];
                    for (int i = 0; i < q.length; i++) {
                        q[i] = (byte) (random.nextInt(255) - 127);
                    }
                    for (int r = 0; r < out; r++) {
                        scale[r] = 0.001f + random.nextFloat() * 0.05f;
                    }
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) random.nextGaussian();
                    }
                    float[] y = new float[rows * out];
                    kernel.multiplyInt8(q, scale, in, x, rows, y, out, 3, out); // columns 0..2 left alone
                    for (int i = 0; i < rows; i++) {
                        for (int r = 0; r < out; r++) {
                            double sum = 0;
                            double magnitude = 0;
                            for (int k = 0; k < in; k++) {
                                sum += (double) x[i * in + k] * q[r * in + k];
                                magnitude += Math.abs((double) x[i * in + k] * q[r * in + k]);
                            }
                            double expected = r < 3 ? 0 : sum * scale[r];
                            double tolerance = 1e-5 * magnitude * scale[r] + 1e-7;
                            assertEquals(expected, y[i * out + r], tolerance, kernel.name() + " in " + in + " rows " + rows
                                    + " at [" + i + ", " + r + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void quantizedWeightsAreWithinHalfAStepOfTheOriginal() {
        float[] w = gaussian(new Random(1), 9 * 21);
        w[5] = 0; // a zero row stays zero
        for (int k = 0; k < 21; k++) {
            w[2 * 21 + k] = 0;
        }
        try (NDArray weight = manager.create(w, new Shape(9, 21))) {
            Int8Matrix q = Int8Matrix.quantize(weight);
            float[] back = q.dequantize(manager, 0, 9, DataType.FLOAT32).toFloatArray();
            for (int r = 0; r < 9; r++) {
                float max = 0;
                for (int k = 0; k < 21; k++) {
                    max = Math.max(max, Math.abs(w[r * 21 + k]));
                }
                for (int k = 0; k < 21; k++) {
                    assertEquals(w[r * 21 + k], back[r * 21 + k], max / 127 / 2 + 1e-7, "row " + r + " col " + k);
                }
            }
            assertEquals(9 * 21 + 4 * 9, q.bytes());
        }
    }

    @Test
    void decodeAndPrefillProductsMatchTheDequantizedMatrix() {
        Random random = new Random(3);
        int out = 75;
        int in = 131;
        try (NDArray weight = manager.create(gaussian(random, out * in), new Shape(out, in))) {
            Int8Matrix q = Int8Matrix.quantize(weight);
            NDArray reference = q.dequantize(manager, 0, out, DataType.FLOAT32);
            for (int rows : new int[] {1, 3, 16, 17, 40}) {
                NDArray x = manager.create(gaussian(random, rows * in), new Shape(1, rows, in));
                for (TensorParallel parallel : new TensorParallel[] {TensorParallel.SERIAL, TensorParallel.of(2)}) {
                    NDArray y = q.multiply(x, parallel);
                    assertEquals(new Shape(1, rows, out), y.getShape());
                    float[] expected = x.matMul(reference.transpose()).toFloatArray();
                    float[] actual = y.toFloatArray();
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), rows + " rows, " + parallel
                                + ", element " + i);
                    }
                }
            }
        }
    }

    @Test
    void gatherDequantizesJustTheNamedRows() {
        try (NDArray weight = manager.create(gaussian(new Random(4), 10 * 6), new Shape(10, 6))) {
            Int8Matrix q = Int8Matrix.quantize(weight);
            NDArray rows = q.gather(manager, new long[] {7, 2, 7});
            NDArray all = q.dequantize(manager, 0, 10, DataType.FLOAT32);
            assertEquals(new Shape(3, 6), rows.getShape());
            assertTrue(rows.get(0).contentEquals(all.get(7)));
            assertTrue(rows.get(1).contentEquals(all.get(2)));
            assertTrue(rows.get(2).contentEquals(all.get(7)));
        }
    }

    @Test
    void prefillOverSeveralScratchBlocksMatchesTheDequantizedMatrixInFp32AndFp16() {
        Random random = new Random(5);
        int out = 2300; // 2.3 M weights: several 1 M-element blocks on each thread
        int in = 1000;
        try (NDArray weight = manager.create(gaussian(random, out * in), new Shape(out, in))) {
            Int8Matrix q = Int8Matrix.quantize(weight);
            NDArray reference = q.dequantize(manager, 0, out, DataType.FLOAT32);
            NDArray x = manager.create(gaussian(random, 20 * in), new Shape(20, in));
            float[] expected = x.matMul(reference.transpose()).toFloatArray();
            for (TensorParallel parallel : new TensorParallel[] {TensorParallel.SERIAL, TensorParallel.of(2)}) {
                float[] actual = q.multiply(x, parallel).toFloatArray();
                for (int i = 0; i < expected.length; i += 97) {
                    assertEquals(expected[i], actual[i], 1e-3 * (1 + Math.abs(expected[i])), parallel + ", element " + i);
                }
                NDArray half = q.multiply(x.toType(DataType.FLOAT16, false), parallel);
                assertEquals(DataType.FLOAT16, half.getDataType());
                float[] h = half.toType(DataType.FLOAT32, false).toFloatArray();
                for (int i = 0; i < expected.length; i += 97) {
                    assertEquals(expected[i], h[i], 0.05 * (1 + Math.abs(expected[i])), "fp16, " + parallel + ", element " + i);
                }
            }
        }
    }

    @Test
    void theVectorAndScalarKernelsDequantizeAlike() {
        byte[] q = new byte[7 * 13];
        new Random(6).nextBytes(q);
        float[] scale = {0.5f, -1f, 0.25f, 2f, 0f, 1e-3f, 3f};
        java.nio.ByteBuffer a = java.nio.ByteBuffer.allocateDirect(5 * 13 * 4).order(java.nio.ByteOrder.nativeOrder());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(5 * 13 * 4).order(java.nio.ByteOrder.nativeOrder());
        new ScalarPackedKernel().dequantizeInt8(q, scale, 13, 2, 7, a);
        PackedKernel.best().dequantizeInt8(q, scale, 13, 2, 7, b);
        for (int i = 0; i < 5 * 13; i++) {
            float expected = q[2 * 13 + i] * scale[2 + i / 13];
            assertEquals(expected, a.getFloat(4 * i), "scalar " + i);
            assertEquals(expected, b.getFloat(4 * i), PackedKernel.best().name() + " " + i);
        }
    }

    /** The attention loops of the Java decode step: dot products and axpy on floats read in place, odd lengths and offsets. */
    @Test
    void bothKernelsDotAndAxpyFloatsReadInPlace() {
        Random random = new Random(8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 * 200).order(java.nio.ByteOrder.nativeOrder());
        float[] bs = gaussian(random, 200);
        for (int i = 0; i < 200; i++) {
            b.putFloat(4 * i, bs[i]);
        }
        float[] a = gaussian(random, 150);
        for (PackedKernel kernel : new PackedKernel[] {PackedKernel.best(), new ScalarPackedKernel()}) {
            for (int n : new int[] {1, 7, 8, 9, 64, 67, 120}) {
                double dot = 0;
                for (int k = 0; k < n; k++) {
                    dot += (double) a[3 + k] * bs[11 + k];
                }
                assertEquals(dot, kernel.dot(a, 3, b, 11, n), 1e-5 * n, kernel.name() + " dot of " + n);
                float[] y = gaussian(new Random(n), 150);
                float[] before = y.clone();
                kernel.axpy(0.37f, b, 5, y, 2, n);
                for (int k = 0; k < 150; k++) {
                    double expected = k >= 2 && k < 2 + n ? before[k] + 0.37 * bs[5 + k - 2] : before[k];
                    assertEquals(expected, y[k], 1e-5, kernel.name() + " axpy of " + n + " at " + k);
                }
            }
        }
    }

    @Test
    void stackingQuantizedPartsInShardsEqualsQuantizingTheInterleavedMatrix() {
        Random random = new Random(7);
        try (NDArray gate = manager.create(gaussian(random, 8 * 5), new Shape(8, 5));
                NDArray up = manager.create(gaussian(random, 8 * 5), new Shape(8, 5))) {
            // two shards: gate[0:4], up[0:4], gate[4:8], up[4:8], as Linear.fusedShards lays the float rows out
            NDArray interleaved = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(gate.get("0:4"), up.get("0:4"),
                    gate.get("4:8"), up.get("4:8")), 0);
            Int8Matrix expected = Int8Matrix.quantize(interleaved);
            Int8Matrix stacked = Int8Matrix.stack(java.util.List.of(Int8Matrix.quantize(gate), Int8Matrix.quantize(up)), 2);
            assertTrue(expected.values(manager).contentEquals(stacked.values(manager)));
            assertTrue(expected.scales(manager).contentEquals(stacked.scales(manager)));
            Int8Matrix back = Int8Matrix.of("gate", stacked.values(manager), stacked.scales(manager));
            assertTrue(back.dequantize(manager, 0, 16, DataType.FLOAT32).contentEquals(
                    expected.dequantize(manager, 0, 16, DataType.FLOAT32)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Int8Matrix.of("gate", gate, stacked.scales(manager)));
            assertTrue(e.getMessage().contains("gate.weight") && e.getMessage().contains("I8"), e.getMessage());
        }
    }

    static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
