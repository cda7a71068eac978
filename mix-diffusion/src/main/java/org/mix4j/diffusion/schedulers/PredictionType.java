package org.mix4j.diffusion.schedulers;

/** What the denoiser predicts (diffusers' {@code prediction_type}). */
public enum PredictionType {
    /** The added noise. */
    EPSILON,
    /** The velocity {@code sqrt(acp) * noise - sqrt(1 - acp) * x0} (Salimans and Ho, 2022). */
    V_PREDICTION,
    /** The clean sample itself. */
    SAMPLE
}
