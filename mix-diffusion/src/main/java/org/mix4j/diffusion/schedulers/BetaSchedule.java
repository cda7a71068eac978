package org.mix4j.diffusion.schedulers;

/** How the training betas are laid out over {@code num_train_timesteps} (diffusers' {@code beta_schedule}). */
public enum BetaSchedule {
    /** Evenly spaced from {@code beta_start} to {@code beta_end} (DDPM). */
    LINEAR,
    /** Evenly spaced square roots, squared: the latent-diffusion (Stable Diffusion) schedule. */
    SCALED_LINEAR,
    /** The cosine schedule of Nichol and Dhariwal (2021), betas capped at 0.999. */
    SQUAREDCOS_CAP_V2
}
