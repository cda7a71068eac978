package org.mix4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.tensor.WeightFormat;

class LinearInt8Test {

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
    void quantizedForwardStaysCloseToFp32AndKeepsTheBias() {
        NDArray w = manager.randomNormal(0, 0.05f, new Shape(70, 45), DataType.FLOAT32);
        NDArray b = manager.randomNormal(new Shape(70));
        NDArray x = manager.randomNormal(new Shape(2, 3, 45));
        float[] expected = x.matMul(w.transpose()).add(b).toFloatArray(); // before the weight is freed
        Linear linear = Linear.of(w, b, TensorParallel.of(2));
        linear.quantize(WeightFormat.INT8);
        assertTrue(w.isReleased(), "the fp32 weight is freed");
        try (NDManager step = manager.newSubManager()) {
            NDArray y = linear.forward(x);
            assertEquals(new Shape(2, 3, 70), y.getShape());
            float[] actual = y.toFloatArray();
            double worst = 0;
            for (int i = 0; i < actual.length; i++) {
                worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
            }
            // per weight at most half a step (max|w_row| / 254), times sum |x| over 45 inputs
            assertTrue(worst < 0.05, "max |int8 - fp32| " + worst);
        }
        assertEquals(70, linear.outFeatures());
        assertEquals(45, linear.inFeatures());
    }

    @Test
    void fp16AndFp32FormatsFollowTheFloatProductOnBothPathsAndNameThemselves() {
        for (WeightFormat format : new WeightFormat[] {WeightFormat.FP16, WeightFormat.FP32}) {
            NDArray w = manager.randomNormal(0, 0.05f, new Shape(70, 45), DataType.FLOAT32);
            NDArray b = manager.randomNormal(new Shape(70));
            int[] rows = {3, 40}; // the kernel path and the block-wise engine path
            NDArray[] x = new NDArray[rows.length];
            float[][] expected = new float[rows.length][];
            for (int i = 0; i < rows.length; i++) { // before the weight is freed
                x[i] = manager.randomNormal(new Shape(1, rows[i], 45));
                expected[i] = x[i].matMul(w.transpose()).add(b).toFloatArray();
            }
            Linear linear = Linear.of(w, b, TensorParallel.of(2));
            linear.quantize(format);
            assertTrue(w.isReleased(), "the fp32 weight is freed");
            // fp16: each weight within 2^-11 relative, times sum |x| over 45 inputs; fp32: rounding only
            double bound = format == WeightFormat.FP16 ? 2e-3 : 2e-5;
            for (int r = 0; r < rows.length; r++) {
                float[] actual = linear.forward(x[r]).toFloatArray();
                for (int i = 0; i < actual.length; i++) {
                    assertEquals(expected[r][i], actual[i], bound * (1 + Math.abs(expected[r][i])), format + " "
                            + rows[r] + " rows, element " + i);
                }
            }
            assertEquals(format.label(), linear.packed().kind());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> linear.adapt(
                    new Linear.Adapter(0, 1, manager.zeros(new Shape(1, 45)), manager.zeros(new Shape(1, 1)), 1)));
            assertTrue(e.getMessage().contains("quantize: " + format.label()), e.getMessage());
        }
    }

    @Test
    void halfPrecisionInputsComeBackInHalfPrecisionOnBothPaths() {
        NDArray w = manager.randomNormal(0, 0.05f, new Shape(40, 24), DataType.FLOAT32);
        NDArray b = manager.randomNormal(new Shape(40));
        for (int rows : new int[] {3, 20}) { // the kernel path and the block-wise engine path
            NDArray x = manager.randomNormal(new Shape(1, rows, 24));
            float[] expected = x.matMul(w.transpose()).add(b).toFloatArray();
            Linear linear = Linear.of(w.toType(DataType.FLOAT16, false), b.toType(DataType.FLOAT16, false),
                    TensorParallel.SERIAL);
            linear.quantize(WeightFormat.INT8);
            NDArray y = linear.forward(x.toType(DataType.FLOAT16, false));
            assertEquals(DataType.FLOAT16, y.getDataType());
            float[] actual = y.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < actual.length; i++) {
                assertEquals(expected[i], actual[i], 0.03 + 0.01 * Math.abs(expected[i]), rows + " rows, element " + i);
            }
        }
    }

    @Test
    void aQuantizedLinearRefusesTrainingAndAdaptersNamingItself() {
        Linear linear = Linear.of(manager.ones(new Shape(6, 4)), null, TensorParallel.SERIAL);
        linear.quantize(WeightFormat.INT8);
        IllegalStateException weight = assertThrows(IllegalStateException.class, linear::weight);
        assertTrue(weight.getMessage().contains("the 6x4 linear is quantized to int8"), weight.getMessage());
        IllegalStateException adapter = assertThrows(IllegalStateException.class, () -> linear.adapt(
                new Linear.Adapter(0, 6, manager.zeros(new Shape(2, 4)), manager.zeros(new Shape(6, 2)), 1.0)));
        assertTrue(adapter.getMessage().contains("LoRA"), adapter.getMessage());
        assertThrows(IllegalStateException.class, () -> linear.parameters(List.of(""), new java.util.HashMap<>()));
        linear.quantize(WeightFormat.INT8); // twice does nothing
    }

    @Test
    void aLinearWithAdaptersIsNotQuantized() {
        Linear linear = Linear.of(manager.ones(new Shape(6, 4)), null, TensorParallel.SERIAL);
        linear.adapt(new Linear.Adapter(0, 6, manager.zeros(new Shape(2, 4)), manager.zeros(new Shape(6, 2)), 1.0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> linear.quantize(WeightFormat.INT8));
        assertTrue(e.getMessage().contains("has LoRA adapters"), e.getMessage());
        assertNull(linear.packed());
    }
    @Test
    void quantizingGivesTheFp32MemoryBackAlsoAfterRowAndColumnViews() throws java.io.IOException {
        // 160 MiB of fp32, far above glibc's mmap threshold, so a freed weight leaves the process at once
        NDArray w = manager.randomNormal(0, 0.05f, new Shape(10240, 4096), DataType.FLOAT32);
        Linear linear = Linear.of(w, null, TensorParallel.of(2));
        NDArray rows = linear.rowsT(0, 5120); // as the LLaMA MLP's thread shards take them
        NDArray columns = linear.columnsT(0, 2048);
        rows.close();
        columns.close();
        long before = residentBytes();
        linear.quantize(WeightFormat.INT8);
        org.mix4j.tensor.NativeMemory.returnFreedPages();
        long freed = before - residentBytes();
        assertTrue(freed > 120L << 20, "quantizing freed " + (freed >> 20) + " MiB of the 160 MiB fp32 weight");
    }

    private static long residentBytes() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
