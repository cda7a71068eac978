package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * @param logits {@code [B, T, V]} float32 next-token logits for every input position
 * @param hiddenStates {@code [B, T, D]} final normalized hidden states, or {@code null}
 */
public record LmOutput(NDArray logits, NDArray hiddenStates) {}
