package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.LatentDistribution;

/**
 * Sees the intermediate tensors of a run, in the order they are made (the golden runners record
 * them; a UI could preview latents). The arrays belong to the pipeline and most live only until
 * the callback returns: an observer that keeps one copies it ({@code x.duplicate()} attached to its
 * own manager). Every method does nothing by default.
 */
public interface GenerationObserver {

    GenerationObserver NONE = new GenerationObserver() {};

    /**
     * The text encoder's output for each prompt, before repetition per image.
     *
     * @param positive {@code [B, T, D]}
     * @param negative {@code [B, T, D]}, or {@code null} without classifier-free guidance
     */
    default void promptEmbeds(NDArray positive, NDArray negative) {}

    /**
     * @param schedule the scheduler's whole schedule for {@code num_inference_steps}
     * @param run the timesteps that run (img2img runs only the tail of the schedule)
     */
    default void timesteps(double[] schedule, double[] run) {}

    /**
     * img2img: the init image as the VAE sees it, the posterior, and the scaled latent sample.
     *
     * @param pixelValues {@code [1, 3, H, W]} in [-1, 1]
     * @param initLatents {@code [N, C, h, w]}
     */
    default void initImage(NDArray pixelValues, LatentDistribution posterior, NDArray initLatents) {}

    /** ControlNet: the control image as it sees it, {@code [1, 3, H, W]} in [0, 1]. */
    default void controlImage(NDArray conditioning) {}

    /**
     * ControlNet: its residuals at step {@code index} (before {@link #step}), rows as the denoiser's
     * input ({@code [uncond; cond]}, or per view with MultiDiffusion).
     */
    default void controlResiduals(int index, DenoiserResiduals residuals) {}

    /** The latents the loop starts from {@code [N, C, h, w]}. */
    default void startLatents(NDArray latents) {}

    /**
     * After step {@code index}.
     *
     * @param noisePred the guided prediction: {@code [N, C, h, w]}, or with MultiDiffusion every
     *     view's, view-major ({@code [views * N, C, window, window]})
     * @param latents the latents after the step {@code [N, C, h, w]}
     */
    default void step(int index, double timestep, NDArray noisePred, NDArray latents) {}

    /** The VAE output {@code [N, 3, H, W]}, about [-1, 1]. */
    default void decoded(NDArray decoded) {}
}
