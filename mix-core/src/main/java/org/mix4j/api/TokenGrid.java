package org.mix4j.api;

/**
 * The layout of the tokens a vision encoder produced for one image or tile: {@code rows x cols}
 * patch tokens, preceded by {@code prefixTokens} tokens that are not on the grid (CLS).
 *
 * <p>Connectors declare their output token count as a function of this grid, so the prompt builder
 * can expand image placeholders before any model runs.
 */
public record TokenGrid(int rows, int cols, int prefixTokens) {

    public TokenGrid {
        if (rows < 1 || cols < 1 || prefixTokens < 0) {
            throw new IllegalArgumentException(
                    "token grid must be at least 1x1 with prefixTokens >= 0, got "
                            + rows + "x" + cols + "+" + prefixTokens);
        }
    }

    /** Total number of tokens, grid plus prefix. */
    public int tokens() {
        return rows * cols + prefixTokens;
    }
}
