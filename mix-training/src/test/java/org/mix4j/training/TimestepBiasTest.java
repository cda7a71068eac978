package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** timestep_bias weighs timesteps as diffusers' --timestep_bias_* flags do; expected shares worked out by hand. */
class TimestepBiasTest {

    @Test
    void rangeDrawsItsTimestepsAsOftenAsTheirWeightSays() {
        // 500 timesteps at weight 3 and 500 at 1: 1,500 of 2,000, so three draws in four fall in [300, 800)
        double[] cumulative = new TimestepBias("range", 3, 300, 800, 0.25).cumulative(1000);
        assertEquals(300 / 2000.0, cumulative[299], 1e-12);
        assertEquals(1800 / 2000.0, cumulative[799], 1e-12);
        assertEquals(1.0, cumulative[999]);
        Random random = new Random(1);
        int[] counts = new int[1000];
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            counts[TimestepBias.draw(cumulative, random)]++;
        }
        int inside = 0;
        for (int t = 300; t < 800; t++) {
            inside += counts[t];
        }
        assertEquals(0.75, inside / (double) n, 0.005);
        int low = 0;
        for (int t = 0; t < 300; t++) {
            low += counts[t];
        }
        assertEquals(0.15, low / (double) n, 0.005, "the cleanest 300 of the rest: 300 of 2,000");
    }

    @Test
    void laterAndEarlierWeighAShareOfTheEnds() {
        // later, portion 0.25, x2: the last 250 timesteps weigh 2, so the first 750 hold 750 of 1,250
        double[] later = new TimestepBias("later", 2, 0, 1000, 0.25).cumulative(1000);
        assertEquals(0.6, later[749], 1e-12);
        assertEquals(0.6 + 2 / 1250.0, later[750], 1e-12);
        // earlier, portion 0.1, x0.5: the first 100 weigh 0.5, 50 of 950
        double[] earlier = new TimestepBias("earlier", 0.5, 0, 1000, 0.1).cumulative(1000);
        assertEquals(50 / 950.0, earlier[99], 1e-12);
        assertEquals(1.0, earlier[999]);
    }

    @Test
    void drawsStayInsideTheSchedule() {
        double[] cumulative = new TimestepBias("range", 1e6, 999, 1000, 0.25).cumulative(1000);
        Random random = new Random(3);
        for (int i = 0; i < 1000; i++) {
            int t = TimestepBias.draw(cumulative, random);
            assertTrue(t >= 0 && t < 1000, "timestep " + t);
        }
        assertEquals(0, TimestepBias.draw(new double[] {0.5, 1.0}, new FixedRandom(0.0)));
        assertEquals(1, TimestepBias.draw(new double[] {0.5, 1.0}, new FixedRandom(0.5)));
        assertEquals(1, TimestepBias.draw(new double[] {0.5, 1.0}, new FixedRandom(Math.nextDown(1.0))));
    }

    @Test
    void noneAndAMultiplierOfOneKeepTheUniformDraws() {
        assertTrue(new TimestepBias("none", 3, 0, 1000, 0.25).uniform());
        assertTrue(new TimestepBias("later", 1, 0, 1000, 0.25).uniform());
        assertFalse(new TimestepBias("later", 2, 0, 1000, 0.25).uniform());
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        assertMessage("timestep_bias strategy must be one of [none, later, earlier, range], got 'middle'",
                () -> new TimestepBias("middle", 2, 0, 1000, 0.25));
        assertMessage("timestep_bias multiplier must be a finite number > 0, got 0.0",
                () -> new TimestepBias("later", 0, 0, 1000, 0.25));
        assertMessage("timestep_bias begin and end must satisfy 0 <= begin < end, got 800 and 300",
                () -> new TimestepBias("range", 2, 800, 300, 0.25));
        assertMessage("timestep_bias portion must be in (0, 1], got 1.5", () -> new TimestepBias("later", 2, 0, 1000, 1.5));
        assertMessage("timestep_bias end 1200 is past the schedule's 1000 timesteps",
                () -> new TimestepBias("range", 2, 300, 1200, 0.25).cumulative(1000));
    }

    private static void assertMessage(String expected, Runnable bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::run);
        assertEquals(expected, e.getMessage());
    }

    /** A random source whose nextDouble is one value. */
    private static final class FixedRandom extends Random {
        private final double value;

        FixedRandom(double value) {
            this.value = value;
        }

        @Override
        public double nextDouble() {
            return value;
        }
    }
}
