package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Scheduler;

class LcmSchedulerTest extends SchedulerContractTest {

    @Override
    String type() {
        return "lcm";
    }

    @Test
    void timestepsAreFlooredIndicesIntoTheDistillationSchedule() {
        Scheduler s = load();
        s.setTimesteps(4);
        // k = 1000 // 50 = 20: schedule 999, 979, ..., 19; indices floor(0, 12.5, 25, 37.5)
        assertArrayEquals(new double[] {999, 999 - 20 * 12, 999 - 20 * 25, 999 - 20 * 37}, s.timesteps());
    }

    @Test
    void intermediateStepsNeedANoiseSource() {
        Scheduler s = load();
        s.setTimesteps(4);
        NDArray x = manager.ones(LATENT);
        assertThrows(IllegalArgumentException.class, () -> s.step(x, s.timesteps()[0], x, null));
    }

    @Test
    void rejectsMoreStepsThanTheDistillationSchedule() {
        Scheduler s = load();
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(51));
    }
}
