package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Scheduler;

class DdimSchedulerTest extends SchedulerContractTest {

    @Override
    String type() {
        return "ddim";
    }

    @Test
    void leadingSpacingWithOffsetOneGivesStableDiffusionsFiftySteps() {
        Map<String, Object> o = overrides();
        o.put("steps_offset", 1);
        Scheduler s = load(o);
        s.setTimesteps(50);
        double[] expected = new double[50];
        for (int i = 0; i < 50; i++) {
            expected[i] = 981 - 20 * i; // 1000 // 50 = 20 apart, shifted by 1: 981, 961, ..., 1
        }
        assertArrayEquals(expected, s.timesteps());
    }

    @Test
    void trailingAndLinspaceSpacingFollowTheirDefinitions() {
        Map<String, Object> o = overrides();
        o.put("timestep_spacing", "trailing");
        Scheduler trailing = load(o);
        trailing.setTimesteps(4);
        assertArrayEquals(new double[] {999, 749, 499, 249}, trailing.timesteps()); // round(1000 - 250 i) - 1
        o.put("timestep_spacing", "linspace");
        Scheduler linspace = load(o);
        linspace.setTimesteps(4);
        assertArrayEquals(new double[] {999, 666, 333, 0}, linspace.timesteps()); // round(999 * k / 3)
    }

    @Test
    void addNoiseMixesByTheCumulativeAlpha() {
        DdimScheduler s = (DdimScheduler) load();
        NDArray x = manager.full(LATENT, 2f);
        NDArray n = manager.full(LATENT, -1f);
        double acp = s.noiseSchedule().alphaCumprod(500);
        float expected = (float) (Math.sqrt(acp) * 2 - Math.sqrt(1 - acp));
        float actual = s.addNoise(x, n, 500).getFloat(0, 0, 0, 0);
        assertEquals(expected, actual, 1e-6);
    }

    @Test
    void etaDrawsFromTheNoiseSourceAndNeedsOne() {
        Map<String, Object> o = overrides();
        o.put("eta", 1.0);
        Scheduler s = load(o);
        s.setTimesteps(4);
        double t = s.timesteps()[0];
        NDArray x = manager.ones(LATENT);
        NDArray modelOutput = manager.zeros(LATENT);
        float[] a = s.step(modelOutput, t, x, noise(1)).prevSample().toFloatArray();
        float[] b = s.step(modelOutput, t, x, noise(2)).prevSample().toFloatArray();
        assertFalse(Arrays.equals(a, b), "different noise must give a different sample");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.step(modelOutput, t, x, null));
        assertTrue(e.getMessage().contains("NoiseSource"), e.getMessage());
    }

    /**
     * On a schedule rescaled to zero terminal SNR the first step starts at a cumulative alpha of 0, where
     * eta 1's variance equals 1 - a_prev and the direction's {@code sqrt(1 - a_prev - sigma^2)} is 0 up
     * to rounding; a rounding below 0 made it NaN (the tiny text-to-image model sampled NaN at eta 1).
     */
    @Test
    void etaOneOnAZeroTerminalSnrScheduleStaysFinite() {
        Map<String, Object> o = overrides();
        o.put("eta", 1.0);
        o.put("rescale_betas_zero_snr", true);
        o.put("prediction_type", "v_prediction");
        o.put("timestep_spacing", "trailing");
        NDArray x = manager.ones(LATENT);
        NDArray modelOutput = manager.full(LATENT, 0.5f);
        for (int steps = 2; steps <= 60; steps++) {
            Scheduler s = load(o);
            s.setTimesteps(steps);
            float[] prev = s.step(modelOutput, s.timesteps()[0], x, noise(steps)).prevSample().toFloatArray();
            for (float v : prev) {
                assertTrue(Float.isFinite(v), steps + " steps: the first step gave " + v);
            }
        }
    }
}
