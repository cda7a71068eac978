package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Scheduler;

class DpmSolverMultistepSchedulerTest extends SchedulerContractTest {

    @Override
    String type() {
        return "dpm_solver_pp";
    }

    @Test
    void linspaceDropsTheFinalPointAndRoundsHalfToEven() {
        Scheduler s = load();
        s.setTimesteps(10);
        // linspace(0, 999, 11) = 0, 99.9, ..., 499.5, ...; 499.5 rounds to 500
        assertArrayEquals(new double[] {999, 899, 799, 699, 599, 500, 400, 300, 200, 100}, s.timesteps());
    }

    @Test
    void firstOrderDiffersFromSecondOrder() {
        Scheduler second = load();
        Map<String, Object> o = overrides();
        o.put("solver_order", 1);
        Scheduler first = load(o);
        second.setTimesteps(5);
        first.setTimesteps(5);
        float[] a = run(second, initial(second), 0, 5).toFloatArray();
        float[] b = run(first, initial(first), 0, 5).toFloatArray();
        assertFalse(Arrays.equals(a, b), "the second-order history must change the result");
    }
}
