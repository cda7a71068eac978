package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * Maps vision features {@code [B, N, Dv]} into the language model's embedding space
 * {@code [B, M, Dllm]}.
 */
public interface Connector extends Component {

    /**
     * @param features {@code [B, N, Dv]} vision features laid out as {@code grid}
     * @param attentionMask {@code [B, N]} 1 = real token, or {@code null} when all are real
     * @param grid layout of {@code features}
     * @return {@code [B, M, Dllm]} with {@code M == outputTokens(grid)}
     */
    NDArray project(NDArray features, NDArray attentionMask, TokenGrid grid);

    /** {@code M} for an input laid out as {@code grid}, known before anything runs. */
    int outputTokens(TokenGrid grid);

    /**
     * The layout of the output tokens when they still form a grid (a projector keeps it, a pixel
     * shuffle shrinks it), or {@code null} when they do not (learned queries, latents). Tilers that
     * stitch tiles back into one feature map need it.
     */
    default TokenGrid outputGrid(TokenGrid grid) {
        return outputTokens(grid) == grid.tokens() ? grid : null;
    }

    /** {@code Dllm}. */
    int outputSize();
}
