package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Extra residuals added to a denoiser's skip connections (ControlNet).
 *
 * @param downBlock one {@code [B, C, h, w]} per skip connection, in the order they are produced
 * @param midBlock added to the mid-block output
 */
public record DenoiserResiduals(List<NDArray> downBlock, NDArray midBlock) {}
