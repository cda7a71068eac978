package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Optional;

/**
 * How a large image becomes encoder-sized tiles, and how the tiles' features become one token
 * sequence again.
 */
public interface Tiler {

    /** The layout {@link #split} will produce for an image of this size. */
    TileLayout plan(int width, int height);

    /** Tiles in the order of {@link TileLayout}: base first or thumbnail last, grid row-major. */
    List<RgbImage> split(RgbImage image);

    /**
     * Merges per-tile features.
     *
     * @param tileFeatures {@code [tiles, M, D]} projected features of one image's tiles
     * @param tileGrid the token grid of one tile's features
     * @param newline {@code [D]} the learned row separator, or {@code null} when the model has none
     * @return {@code [N, D]}
     */
    NDArray merge(NDArray tileFeatures, TileLayout layout, TokenGrid tileGrid, NDArray newline);

    /**
     * The learned row separator {@code [D]} this tiler's model puts after each feature row
     * (LLaVA-NeXT's {@code image_newline}), loaded with the tiler from its checkpoint; empty when
     * it uses none. Pipelines pass it to {@link #merge}.
     */
    default Optional<NDArray> newline() {
        return Optional.empty();
    }

    /** Number of tokens {@link #merge} returns, known before anything runs. */
    int mergedTokens(TileLayout layout, TokenGrid tileGrid);
}
