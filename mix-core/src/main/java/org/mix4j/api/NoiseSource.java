package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Where stochastic schedulers and pipelines draw Gaussian noise from (seeded, or injected). */
@FunctionalInterface
public interface NoiseSource {

    /** Standard normal float32 noise of {@code shape}, attached to {@code manager}. */
    NDArray randn(NDManager manager, Shape shape);
}
