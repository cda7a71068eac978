package org.mix4j.tiling;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.image.Resample;

/**
 * Settings of the {@code anyres} tiler.
 *
 * @param gridPinpoints candidate {@code [height, width]} grid resolutions (LLaVA-NeXT's
 *     {@code image_grid_pinpoints}), each a multiple of {@code tile_size}
 * @param tileSize side of one tile in pixels (the vision tower's {@code image_size})
 * @param maxPatches {@code N} of LLaVA-OneVision's {@code anyres_max_N}; 0 = no reduction
 * @param newline whether the model appends a learned newline after each feature row
 * @param newlineTensor the checkpoint tensor holding that newline, {@code [D]}
 */
public record AnyResTilerConfig(
        List<List<Integer>> gridPinpoints,
        int tileSize,
        @Default("0") int maxPatches,
        @Default("true") boolean newline,
        @Default("image_newline") String newlineTensor,
        @Default("bicubic") Resample resample) {

    public AnyResTilerConfig {
        if (gridPinpoints.isEmpty()) {
            throw new IllegalArgumentException("grid_pinpoints must not be empty");
        }
        if (tileSize < 1) {
            throw new IllegalArgumentException("tile_size must be positive, got " + tileSize);
        }
        for (List<Integer> p : gridPinpoints) {
            if (p.size() != 2 || p.get(0) % tileSize != 0 || p.get(1) % tileSize != 0 || p.get(0) < 1 || p.get(1) < 1) {
                throw new IllegalArgumentException("grid_pinpoints entry " + p + " must be [height, width], positive "
                        + "multiples of tile_size " + tileSize);
            }
        }
        if (maxPatches < 0) {
            throw new IllegalArgumentException("max_patches must be >= 0, got " + maxPatches);
        }
        gridPinpoints = List.copyOf(gridPinpoints);
    }
}
