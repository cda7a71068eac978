package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Training tables against float64 computations written out here, independently of the class. */
class NoiseScheduleTest {

    private static TrainingSchedule schedule(BetaSchedule type, double start, double end, boolean zeroSnr) {
        return new LcmConfig(1000, start, end, type, null, 50, false, 1.0, true, 0, PredictionType.EPSILON, false,
                0.995, 1.0, TimestepSpacing.LEADING, 10.0, zeroSnr);
    }

    @Test
    void stableDiffusionScaledLinearMatchesFloat64() {
        float[] acp = NoiseSchedule.of(schedule(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, false)).alphasCumprod();
        // beta_i = (sqrt(0.00085) + i * (sqrt(0.012) - sqrt(0.00085)) / 999)^2; acp = prod(1 - beta)
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        double product = 1;
        for (int i = 0; i < 1000; i++) {
            double root = a + i * (b - a) / 999;
            product *= 1 - root * root;
        }
        assertEquals(1 - 0.00085, acp[0], 1e-7); // 0.99915
        assertEquals(product, acp[999], 2e-6 * product);
        assertEquals(0.0046601, acp[999], 1e-7); // the well-known final value for SD 1.x
    }

    @Test
    void linearBetasRunFromStartToEnd() {
        float[] betas = NoiseSchedule.of(schedule(BetaSchedule.LINEAR, 0.0001, 0.02, false)).betas();
        assertEquals(0.0001, betas[0], 1e-10);
        assertEquals(0.02, betas[999], 1e-9);
        assertEquals(0.0001 + 500 * (0.02 - 0.0001) / 999, betas[500], 1e-9);
    }

    @Test
    void cosineScheduleFollowsTheAlphaBarRatioAndIsCapped() {
        float[] betas = NoiseSchedule.of(schedule(BetaSchedule.SQUAREDCOS_CAP_V2, 0.0001, 0.02, false)).betas();
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        double f1 = Math.pow(Math.cos((0.001 + 0.008) / 1.008 * Math.PI / 2), 2);
        assertEquals(1 - f1 / f0, betas[0], 1e-9);
        assertEquals(0.999, betas[999], 1e-7); // the last ratio exceeds the cap
        for (float beta : betas) {
            assertTrue(beta > 0 && beta <= 0.999f);
        }
    }

    @Test
    void zeroTerminalSnrRescalingEndsAtZeroSignalAndKeepsTheFirstStep() {
        float[] plain = NoiseSchedule.of(schedule(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, false)).alphasCumprod();
        float[] rescaled = NoiseSchedule.of(schedule(BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, true)).alphasCumprod();
        assertEquals(0f, rescaled[999]);
        assertEquals(plain[0], rescaled[0], 1e-6);
        assertTrue(rescaled[500] < plain[500], "the shift lowers every later signal level");
    }

    @Test
    void trainedBetasReplaceTheSchedule() {
        List<Double> betas = Collections.nCopies(1000, 0.01);
        LcmConfig config = new LcmConfig(1000, 0.5, 0.6, BetaSchedule.LINEAR, betas, 50, false, 1.0, true, 0,
                PredictionType.EPSILON, false, 0.995, 1.0, TimestepSpacing.LEADING, 10.0, false);
        float[] acp = NoiseSchedule.of(config).alphasCumprod();
        assertEquals(Math.pow(0.99, 10), acp[9], 1e-6);
    }
}
