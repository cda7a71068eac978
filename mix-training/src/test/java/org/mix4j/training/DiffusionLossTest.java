package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.registry.MixSettings;

/** The diffusion targets against numbers worked out by hand. */
class DiffusionLossTest {

    @Test
    void velocityIsAlphaTimesNoiseMinusSigmaTimesLatents() {
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly()); NDManager m = NDManager.newBaseManager()) {
            // betas 0.1, 0.2, 0.3, 0.4 -> alphas 0.9, 0.8, 0.7, 0.6 -> cumulative products 0.9, 0.72, 0.504, 0.3024
            Scheduler ddim = runtime.loader().load("ddim", Role.SCHEDULER, null, Map.of("num_train_timesteps", 4,
                    "beta_start", 0.1, "beta_end", 0.4, "beta_schedule", "linear"), m, DataType.FLOAT32);
            double a2 = Math.sqrt(0.504);
            double s2 = Math.sqrt(1 - 0.504);
            double a3 = Math.sqrt(0.3024);
            double s3 = Math.sqrt(1 - 0.3024);
            float[] latents = {1, -2, 4, 0}; // two samples [1, 1, 2]
            float[] noise = {0.5f, 3, -1, 2};
            float[] expected = {
                (float) (a2 * 0.5 - s2 * 1), (float) (a2 * 3 - s2 * -2), // t = 2
                (float) (a3 * -1 - s3 * 4), (float) (a3 * 2 - s3 * 0)}; // t = 3
            Shape shape = new Shape(2, 1, 1, 2);
            float[] v = DiffusionLoss.velocity(ddim, m.create(latents, shape), m.create(noise, shape),
                    m.create(new long[] {2, 3})).toFloatArray();
            assertArrayEquals(expected, v, 1e-6f);
            float[] noisy = DiffusionLoss.addNoise(ddim, m.create(latents, shape), m.create(noise, shape),
                    m.create(new long[] {2, 3})).toFloatArray();
            assertArrayEquals(new float[] {(float) (a2 * 1 + s2 * 0.5), (float) (a2 * -2 + s2 * 3),
                (float) (a3 * 4 + s3 * -1), (float) (a3 * 0 + s3 * 2)}, noisy, 1e-6f);
        }
    }
}
