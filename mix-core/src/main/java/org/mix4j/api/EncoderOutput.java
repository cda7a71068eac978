package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * What a vision or text encoder returns.
 *
 * @param lastHiddenState {@code [B, N, D]} final hidden states (after the post-layernorm where the
 *     architecture has one)
 * @param pooled {@code [B, D]} pooled output, or {@code null} when the architecture has none
 * @param embeds {@code [B, P]} projected embedding (CLIP's visual/text projection), or {@code null}
 * @param features {@code [B, N', D]} the hidden states a connector consumes: the configured
 *     {@code feature_layer}, with the configured token selection applied
 * @param grid the layout of {@code features} (vision encoders), or {@code null} for text
 */
public record EncoderOutput(
        NDArray lastHiddenState, NDArray pooled, NDArray embeds, NDArray features, TokenGrid grid) {}
