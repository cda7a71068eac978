package org.mix4j.diffusion.schedulers;

/** The sigma appended after the last inference step (diffusers' {@code final_sigmas_type}). */
public enum FinalSigmas {
    /** 0: the last step lands on the clean sample. */
    ZERO,
    /** The smallest training sigma, {@code sqrt((1 - acp[0]) / acp[0])}. */
    SIGMA_MIN
}
