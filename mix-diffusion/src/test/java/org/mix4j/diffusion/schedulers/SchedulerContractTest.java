package org.mix4j.diffusion.schedulers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.api.StepOutput;
import org.mix4j.registry.MixSettings;

/**
 * What every scheduler must do, run once per type by the subclasses: load through the registry,
 * produce a descending schedule, keep {@code copy()} independent, and not grow native memory over
 * a loop. The stand-in denoiser is the golden fixtures' {@code 0.1 * x + 0.05 * t / 1000}.
 */
abstract class SchedulerContractTest {

    static MixRuntime runtime;
    static NDManager manager;
    static final Shape LATENT = new Shape(1, 4, 6, 6);

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    /** The YAML type under test. */
    abstract String type();

    /** Stable Diffusion 1.5's training schedule, the usual setting. */
    Map<String, Object> overrides() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("beta_schedule", "scaled_linear");
        o.put("beta_start", 0.00085);
        o.put("beta_end", 0.012);
        return o;
    }

    Scheduler load() {
        return load(overrides());
    }

    /** Loads the type as YAML would, with {@code yaml} as the section's keys and no checkpoint. */
    Scheduler load(Map<String, Object> yaml) {
        return runtime.loader().load(type(), Role.SCHEDULER, null, yaml, manager, DataType.FLOAT32);
    }

    @Test
    void timestepsDescendWithinTheTrainingRange() {
        Scheduler s = load();
        s.setTimesteps(8);
        double[] t = s.timesteps();
        assertEquals(8, t.length);
        for (int i = 0; i < t.length; i++) {
            assertTrue(t[i] >= 0 && t[i] <= 999, "timestep " + t[i]);
            if (i > 0) {
                assertTrue(t[i] < t[i - 1], "not descending at " + i + ": " + t[i - 1] + ", " + t[i]);
            }
        }
    }

    @Test
    void copyStartsWithoutStepStateAndLeavesTheOriginalAlone() {
        Scheduler reference = load();
        reference.setTimesteps(6);
        float[] expected = run(reference, initial(reference), 0, 6).toFloatArray();

        Scheduler original = load();
        original.setTimesteps(6);
        NDArray x = run(original, initial(original), 0, 2);
        Scheduler copy = original.copy();
        assertArrayEquals(expected, run(copy, initial(copy), 0, 6).toFloatArray(), "copy made mid-loop");
        assertArrayEquals(expected, run(original, x, 2, 6).toFloatArray(), "original after its copy ran");
    }

    @Test
    void newRunOnlyReadsItsTemplate() {
        Scheduler reference = load();
        reference.setTimesteps(6);
        float[] expected = run(reference, initial(reference), 0, 6).toFloatArray();

        Scheduler template = load();
        double[] before = template.timesteps();
        Scheduler a = template.newRun(6);
        Scheduler b = template.newRun(3);
        NDArray x = run(a, initial(a), 0, 2);
        run(b, initial(b), 0, 3); // interleaved with a's loop
        assertArrayEquals(expected, run(a, x, 2, 6).toFloatArray(), "a run after another run stepped");
        assertArrayEquals(before, template.timesteps(), "the template's schedule changed");
        assertEquals(3, b.timesteps().length);
    }

    @Test
    void aLongLoopDoesNotGrowNativeMemory() {
        Scheduler s = load();
        s.setTimesteps(20);
        try (NDManager caller = manager.newSubManager()) {
            NDArray x = caller.ones(LATENT).mul(0.5f);
            int before = caller.getManagedArrays().size();
            double[] timesteps = s.timesteps();
            for (int i = 0; i < timesteps.length; i++) {
                NDArray in = s.scaleModelInput(x, timesteps[i]);
                NDArray modelOutput = standInDenoiser(in, timesteps[i]);
                StepOutput out = s.step(modelOutput, timesteps[i], x, noise(i));
                closeAll(x, in, modelOutput, out.predOriginalSample(), out.prevSample());
                x = out.prevSample();
            }
            assertEquals(before, caller.getManagedArrays().size(), "arrays left in the caller's manager");
        }
    }

    @Test
    void rejectsStepCountsOutsideTheTrainingRange() {
        Scheduler s = load();
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0));
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(1001));
    }

    NDArray initial(Scheduler s) {
        float[] values = new float[(int) LATENT.size()];
        Random r = new Random(7);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian() * (float) s.initNoiseSigma();
        }
        return manager.create(values, LATENT);
    }

    /** Steps {@code from} to {@code to - 1} of the schedule starting at latent {@code x}. */
    static NDArray run(Scheduler s, NDArray x, int from, int to) {
        double[] timesteps = s.timesteps();
        for (int i = from; i < to; i++) {
            NDArray modelOutput = standInDenoiser(s.scaleModelInput(x, timesteps[i]), timesteps[i]);
            x = s.step(modelOutput, timesteps[i], x, noise(i)).prevSample();
        }
        return x;
    }

    static NDArray standInDenoiser(NDArray x, double t) {
        NDArray scaled = x.mul(0.1f);
        NDArray out = scaled.add(0.05f * (float) t / 1000f);
        scaled.close();
        return out;
    }

    /** Noise that depends only on the step index, so two runs draw the same. */
    static NoiseSource noise(int step) {
        return (m, shape) -> {
            Random r = new Random(1000 + step);
            float[] v = new float[(int) shape.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            return m.create(v, shape);
        };
    }

    /** Closes each array once, leaving {@code keep} (the last argument) open. */
    private static void closeAll(NDArray... arrays) {
        NDArray keep = arrays[arrays.length - 1];
        Set<NDArray> closed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < arrays.length - 1; i++) {
            NDArray a = arrays[i];
            if (a != null && a != keep && closed.add(a)) {
                a.close();
            }
        }
    }
}
