package org.mix4j.pipelines.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.mix4j.pipelines.generation.PipelineNoise.Draw;

class GaussianGeneratorTest {

    @Test
    void sameSeedSameNumbers() {
        float[] a = new float[1001];
        float[] b = new float[1001];
        new GaussianGenerator(42).fill(a, 0, a.length);
        new GaussianGenerator(42).fill(b, 0, b.length);
        assertArrayEquals(a, b);
        float[] c = new float[1001];
        new GaussianGenerator(43).fill(c, 0, c.length);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void valuesAreStandardNormal() {
        float[] x = new float[200_000];
        new GaussianGenerator(7).fill(x, 0, x.length);
        double mean = 0;
        double square = 0;
        int beyondTwo = 0;
        for (float v : x) {
            mean += v;
            square += v * v;
            beyondTwo += Math.abs(v) > 2 ? 1 : 0;
        }
        mean /= x.length;
        double variance = square / x.length - mean * mean;
        assertEquals(0, mean, 0.01);
        assertEquals(1, variance, 0.01);
        assertEquals(0.0455, beyondTwo / (double) x.length, 0.003, "share of |x| > 2 of a standard normal");
    }

    @Test
    void seededNoiseGivesEachRowItsOwnGenerator() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray pair = PipelineNoise.seeded(5, 6).randn(Draw.INITIAL_LATENTS, m, new Shape(2, 3, 4));
            NDArray alone = PipelineNoise.seeded(6).randn(Draw.INITIAL_LATENTS, m, new Shape(1, 3, 4));
            assertArrayEquals(alone.toFloatArray(), pair.get("1:2").toFloatArray());
            assertTrue(!Arrays.equals(pair.get("0:1").toFloatArray(), alone.toFloatArray()));
        }
    }
}
