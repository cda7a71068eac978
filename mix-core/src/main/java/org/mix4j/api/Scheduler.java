package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * A diffusion sampler with the diffusers protocol. It knows nothing of the model; the pipeline
 * owns the loop: {@code setTimesteps}, then per timestep {@code scaleModelInput}, model, {@code step}.
 * Multistep schedulers keep state between steps; {@link #copy()} gives an independent one.
 *
 * <p>Thread safety: a scheduler is not thread-safe; it holds the schedule and step state of one
 * loop. A pipeline keeps one as a template and runs every call on {@link #newRun}, which only
 * reads the template, so concurrent calls never share step state.
 */
public interface Scheduler {

    void setTimesteps(int numInferenceSteps);

    /** The timesteps of the current schedule, in the order they run. */
    double[] timesteps();

    double initNoiseSigma();

    /** Input scaling some samplers need before the model sees the latent (Euler). */
    NDArray scaleModelInput(NDArray sample, double timestep);

    /**
     * @param noise draws the noise of stochastic samplers (LCM); unused by deterministic ones
     */
    StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise);

    /** {@code sqrt(acp[t]) * original + sqrt(1 - acp[t]) * noise}, for img2img. */
    NDArray addNoise(NDArray original, NDArray noise, double timestep);

    /**
     * Whether the timesteps are whole training steps (int64 in diffusers: DDIM, DPM-Solver, LCM)
     * rather than fractional ones (Euler's interpolated sigmas). Reports and golden outputs write
     * them with this type; the loop itself always passes doubles.
     */
    default boolean integerTimesteps() {
        return true;
    }

    /** An independent scheduler with the same configuration and no step state. */
    Scheduler copy();

    /**
     * A scheduler of its own for one denoising loop of {@code numInferenceSteps}: a {@link #copy()}
     * with its timesteps set. The receiver is only read, so several threads may start runs from
     * one template as long as none of them calls {@code setTimesteps} or {@code step} on it.
     */
    default Scheduler newRun(int numInferenceSteps) {
        Scheduler run = copy();
        run.setTimesteps(numInferenceSteps);
        return run;
    }
}
