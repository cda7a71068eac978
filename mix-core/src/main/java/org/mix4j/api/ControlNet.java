package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * Spatial control for a denoiser (ControlNet: Zhang, Rao and Agrawala 2023): from the denoiser's
 * input and a control image, residuals for the denoiser's skip connections and mid block.
 */
public interface ControlNet extends Component {

    /**
     * @param sample {@code [B, C, h, w]} the denoiser's (scaled) input
     * @param timestep {@code [B]}, {@code [1]} or a scalar
     * @param encoderHiddenStates {@code [B, T, D]}
     * @param conditioning {@code [B, 3, H, W]} the control image in [0, 1] at pixel resolution
     * @param scale multiplies every residual ({@code controlnet_conditioning_scale})
     * @return residuals to pass to {@link Denoiser#forward}, attached to the manager of {@code sample}
     */
    DenoiserResiduals residuals(NDArray sample, NDArray timestep, NDArray encoderHiddenStates, NDArray conditioning,
            double scale);
}
