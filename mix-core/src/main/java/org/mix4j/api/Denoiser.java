package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/** A diffusion denoiser (UNet, DiT): predicts noise (or v, or x0) for a noisy latent. */
public interface Denoiser extends Component {

    /**
     * @param sample {@code [B, C, h, w]} noisy latents
     * @param timestep {@code [B]} timesteps (int64 or float)
     * @param encoderHiddenStates {@code [B, T, D]} conditioning
     * @param residuals ControlNet residuals, or {@code null}
     * @return {@code [B, C, h, w]}
     */
    NDArray forward(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, DenoiserResiduals residuals);

    int inChannels();

    /** Native latent size (config {@code sample_size}). */
    int sampleSize();
}
