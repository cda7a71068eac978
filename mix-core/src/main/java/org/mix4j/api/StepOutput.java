package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * @param prevSample the latent for the next (earlier) timestep
 * @param predOriginalSample the scheduler's estimate of the clean latent, or {@code null}
 */
public record StepOutput(NDArray prevSample, NDArray predOriginalSample) {}
