package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EulerDiscreteSchedulerTest extends SchedulerContractTest {

    @Override
    String type() {
        return "euler";
    }

    @Test
    void linspaceTimestepsKeepTheirFractions() {
        EulerDiscreteScheduler s = (EulerDiscreteScheduler) load();
        s.setTimesteps(7);
        double[] expected = new double[7];
        for (int i = 0; i < 7; i++) {
            expected[i] = (float) (999 - 166.5 * i); // 999 / 6 apart, not rounded
        }
        assertArrayEquals(expected, s.timesteps());
    }

    @Test
    void sigmasInterpolateTheTrainingTableAndEndAtZero() {
        EulerDiscreteScheduler s = (EulerDiscreteScheduler) load();
        s.setTimesteps(7);
        float[] acp = NoiseSchedule.of(s.config()).alphasCumprod();
        double lo = Math.sqrt((1 - acp[832]) / acp[832]);
        double hi = Math.sqrt((1 - acp[833]) / acp[833]);
        float[] sigmas = s.sigmas();
        assertEquals(8, sigmas.length);
        assertEquals((lo + hi) / 2, sigmas[1], 1e-5 * hi); // t = 832.5
        assertEquals(0f, sigmas[7]);
    }

    @Test
    void initNoiseSigmaDependsOnSpacing() {
        EulerDiscreteScheduler linspace = (EulerDiscreteScheduler) load();
        linspace.setTimesteps(10);
        float max = linspace.sigmas()[0];
        assertEquals(max, linspace.initNoiseSigma(), 0);

        Map<String, Object> o = overrides();
        o.put("timestep_spacing", "leading");
        EulerDiscreteScheduler leading = (EulerDiscreteScheduler) load(o);
        leading.setTimesteps(10);
        float top = leading.sigmas()[0];
        assertEquals(Math.sqrt(top * top + 1), leading.initNoiseSigma(), 1e-5);
    }

    @Test
    void karrasSigmasRunFromTheLargestToTheSmallestSigma() {
        Map<String, Object> o = overrides();
        o.put("use_karras_sigmas", true);
        EulerDiscreteScheduler s = (EulerDiscreteScheduler) load(o);
        s.setTimesteps(5);
        float[] acp = NoiseSchedule.of(s.config()).alphasCumprod();
        double max = Math.sqrt((1 - acp[999]) / acp[999]);
        double min = Math.sqrt((1 - acp[0]) / acp[0]);
        float[] sigmas = s.sigmas();
        assertEquals(max, sigmas[0], 1e-5 * max);
        assertEquals(min, sigmas[4], 1e-5 * min);
        // rho = 7: the middle sigma is the mean of the end points' 7th roots, to the 7th
        double mid = Math.pow((Math.pow(max, 1 / 7.0) + Math.pow(min, 1 / 7.0)) / 2, 7);
        assertEquals(mid, sigmas[2], 1e-5 * mid);
        assertEquals(999, s.timesteps()[0], 1e-3);
    }
}
