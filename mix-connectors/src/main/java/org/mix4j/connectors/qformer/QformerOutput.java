package org.mix4j.connectors.qformer;

import ai.djl.ndarray.NDArray;

/**
 * What Blip2QFormerModel returns.
 *
 * @param lastHiddenState {@code [B, Q, hidden_size]}
 * @param poolerOutput {@code [B, hidden_size]}: the first query's output ({@code last_hidden_state[:, 0]})
 */
public record QformerOutput(NDArray lastHiddenState, NDArray poolerOutput) {}
