package org.mix4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The engine's float32 matrix product (oneMKL's SGEMM/SGEMV inside libtorch) against float64 sums
 * computed here, over many odd shapes: the sizes of a decode step (one row), of prefill and vision
 * (tens to hundreds of rows), batched products, and transposed views. {@code ./mix} may run oneMKL
 * on its AVX-512 code path on AMD processors ({@code MIX_MKL_CPU}, docs/performance.md); the CI
 * runs this test, and every other, that way as well, since an AVX-512 kernel of the same libtorch
 * (oneDNN's convolution: mix-diffusion's ConvolutionEngineTest) has returned NaN on these machines.
 * Reports which path the test JVM runs.
 */
class MatMulEngineTest {

    private static final String PATH = "oneMKL " + MklCpu.describe();

    @Test
    void productsOfOddShapesMatchFloat64Sums() {
        Random random = new Random(7);
        int checked = 0;
        double worst = 0;
        String worstAt = "";
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < 600; i++) {
                int m = i % 5 == 0 ? 1 : 1 + random.nextInt(i % 3 == 0 ? 160 : 24);
                int k = 1 + random.nextInt(i % 4 == 0 ? 1100 : 200);
                int n = 1 + random.nextInt(i % 7 == 0 ? 900 : 150);
                boolean transposed = i % 2 == 1;
                float[] a = gaussian(random, m * k);
                float[] b = gaussian(random, k * n);
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.create(a, new Shape(m, k));
                    // the weight as LLM layers hold it ([out, in], multiplied transposed) or as [in, out]
                    NDArray w = transposed ? step.create(transpose(b, k, n), new Shape(n, k)).transpose() : step.create(b, new Shape(k, n));
                    float[] y = x.matMul(w).toFloatArray();
                    assertEquals(m * n, y.length);
                    for (int r = 0; r < m; r++) {
                        for (int c = 0; c < n; c++) {
                            double sum = 0;
                            double scale = 0;
                            for (int j = 0; j < k; j++) {
                                double p = (double) a[r * k + j] * b[j * n + c];
                                sum += p;
                                scale += Math.abs(p);
                            }
                            float got = y[r * n + c];
                            if (!Float.isFinite(got)) {
                                fail("[" + m + ", " + k + "] x [" + k + ", " + n + "] gave " + got + " at [" + r + ", " + c + "] " + PATH);
                            }
                            double err = Math.abs(got - sum) / (scale + 1e-30);
                            if (err > worst) {
                                worst = err;
                                worstAt = "[" + m + ", " + k + "] x [" + k + ", " + n + "] at [" + r + ", " + c + "]";
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        System.out.printf("MatMulEngineTest: %d products, worst |error| / sum|a b| %.2e at %s (%s)%n", checked, worst, worstAt, PATH);
        assertTrue(worst < 1e-5, "worst relative error " + worst + " at " + worstAt + " " + PATH);
    }

    @Test
    void batchedProductsAreFiniteAndRight() {
        Random random = new Random(11);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < 200; i++) {
                int batch = 1 + random.nextInt(8);
                int m = 1 + random.nextInt(70);
                int k = 1 + random.nextInt(70);
                int n = 1 + random.nextInt(70);
                float[] a = gaussian(random, batch * m * k);
                float[] b = gaussian(random, batch * k * n);
                try (NDManager step = manager.newSubManager()) {
                    float[] y = step.create(a, new Shape(batch, m, k)).matMul(step.create(b, new Shape(batch, k, n))).toFloatArray();
                    for (int s = 0; s < batch; s++) {
                        for (int r = 0; r < m; r++) {
                            for (int c = 0; c < n; c++) {
                                double sum = 0;
                                double scale = 0;
                                for (int j = 0; j < k; j++) {
                                    double p = (double) a[(s * m + r) * k + j] * b[(s * k + j) * n + c];
                                    sum += p;
                                    scale += Math.abs(p);
                                }
                                float got = y[(s * m + r) * n + c];
                                if (!(Float.isFinite(got) && Math.abs(got - sum) <= 1e-5 * scale + 1e-30)) {
                                    fail("batch " + batch + " [" + m + ", " + k + "] x [" + k + ", " + n + "] at [" + s + ", " + r + ", "
                                                + c + "]: " + got + " against " + sum + " " + PATH);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static float[] gaussian(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] transpose(float[] values, int rows, int cols) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = values[r * cols + c];
            }
        }
        return out;
    }
}
