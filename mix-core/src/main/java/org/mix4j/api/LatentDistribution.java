package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/** A diagonal Gaussian over latents, {@code [B, C, h, w]} each. */
public record LatentDistribution(NDArray mean, NDArray std) {}
