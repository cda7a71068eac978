package org.mix4j.diffusion.schedulers;

import org.mix4j.api.Scheduler;

/** A {@link Scheduler} that reproduces a diffusers class and exposes its schedule for inspection. */
public interface DiffusersScheduler extends Scheduler {

    /** Every diffusers scheduler states it: whole training steps (int64 in diffusers) or floats. */
    @Override
    boolean integerTimesteps();

    /**
     * The sigmas of the current schedule with the final sigma appended ({@code num_inference_steps + 1}
     * values), or {@code null} for schedulers that do not step in sigma space.
     */
    float[] sigmas();
}
