package org.mix4j.diffusion.schedulers;

/**
 * How inference timesteps are picked from the training range (diffusers' {@code timestep_spacing};
 * Table 2 of Lin et al., "Common Diffusion Noise Schedules and Sample Steps are Flawed", 2023).
 */
public enum TimestepSpacing {
    /** {@code 0, r, 2r, ...} with {@code r = T // n}, reversed, plus {@code steps_offset}. */
    LEADING,
    /** {@code T, T - T/n, ...} rounded, minus one: always starts at the last training step. */
    TRAILING,
    /** {@code n} points from 0 to {@code T - 1}, rounded. */
    LINSPACE
}
