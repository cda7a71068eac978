package org.mix4j.api;

/**
 * How one image was cut into tiles, kept so tile features can be merged back.
 *
 * @param originalWidth width of the image before tiling
 * @param originalHeight height before tiling
 * @param gridRows rows of grid tiles (0 when there is only the base image)
 * @param gridCols columns of grid tiles
 * @param baseFirst whether the first tile is the whole image at tile size (anyres)
 * @param thumbnailLast whether the last tile is the whole image at tile size (dynamic)
 */
public record TileLayout(
        int originalWidth, int originalHeight, int gridRows, int gridCols, boolean baseFirst, boolean thumbnailLast) {

    /** Number of tiles, base or thumbnail included. */
    public int tileCount() {
        return gridRows * gridCols + (baseFirst ? 1 : 0) + (thumbnailLast ? 1 : 0);
    }
}
