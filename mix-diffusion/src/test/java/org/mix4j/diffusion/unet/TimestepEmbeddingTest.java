package org.mix4j.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.mix4j.diffusion.unet.Unet2dCondition.TimestepEmbedding;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.RandomWeights;

class TimestepEmbeddingTest {

    /**
     * The sinusoids are computed in float32 and only then cast (diffusers' {@code Timesteps}): at
     * t = 999 a float16 argument is off by up to 0.25 rad (float16's spacing there is 0.5). With
     * float32 sinusoids the float16 embedding differs from the float32 one by float16 rounding
     * through two linear layers, measured 6.4e-4 of its largest value; float16 sinusoids give
     * 9.7e-2. The bound 1e-2 lies between the two.
     */
    @Test
    void float16EmbeddingOfLateTimestepsMatchesFloat32() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray t = manager.create(new long[] {999, 981, 500, 1});
            float[] full = embedding(manager, DataType.FLOAT32, t);
            float[] half = embedding(manager, DataType.FLOAT16, t);
            double scale = 0;
            double diff = 0;
            for (int i = 0; i < full.length; i++) {
                assertTrue(Float.isFinite(half[i]), "float16 embedding[" + i + "] is " + half[i]);
                scale = Math.max(scale, Math.abs(full[i]));
                diff = Math.max(diff, Math.abs(full[i] - half[i]));
            }
            System.out.printf("timestep embedding float16 vs float32: %.3e of max %.3e%n", diff / scale, scale);
            assertTrue(diff / scale < 1e-2, "float16 embedding differs by " + diff / scale + " of its largest value");
        }
    }

    private static float[] embedding(NDManager manager, DataType dtype, NDArray t) {
        TimestepEmbedding e = TimestepEmbedding.load(new RandomWeights(manager, dtype, 7), 64, 256, true, 0, "silu",
                TensorParallel.SERIAL);
        NDArray out = e.forward(t);
        assertEquals(dtype, out.getDataType(), "the embedding is in the weights' type");
        return out.toType(DataType.FLOAT32, false).toFloatArray();
    }
}
