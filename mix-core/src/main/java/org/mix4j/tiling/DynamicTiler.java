package org.mix4j.tiling;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.api.TokenGrid;
import org.mix4j.image.ImageOps;
import org.mix4j.image.Resampler;
import org.mix4j.config.Default;
import org.mix4j.image.Resample;

/**
 * InternVL's dynamic tiling (see {@link DynamicGrid}): the image is resized to the chosen grid of
 * square tiles, cut row-major, and followed by a thumbnail of the whole image when there is more
 * than one tile. Tile features are concatenated in that order.
 */
public final class DynamicTiler implements Tiler {

    /**
     * @param minTiles smallest number of grid tiles ({@code min_dynamic_patch})
     * @param maxTiles largest number of grid tiles ({@code max_dynamic_patch})
     * @param tileSize tile side in pixels ({@code force_image_size}, 448 for InternVL)
     * @param useThumbnail append the whole image as a last tile when there are several
     */
    public record Config(
            @Default("1") int minTiles,
            @Default("12") int maxTiles,
            @Default("448") int tileSize,
            @Default("true") boolean useThumbnail,
            @Default("bicubic") Resample resample) {
        public Config {
            if (minTiles < 1 || maxTiles < minTiles) {
                throw new IllegalArgumentException("need 1 <= min_tiles <= max_tiles, got " + minTiles + " and " + maxTiles);
            }
            if (tileSize < 1) {
                throw new IllegalArgumentException("tile_size must be positive, got " + tileSize);
            }
        }
    }

    private final Config config;

    public DynamicTiler(Config config) {
        this.config = config;
    }

    @Override
    public TileLayout plan(int width, int height) {
        int[] grid = DynamicGrid.choose(width, height, config.tileSize(), config.minTiles(), config.maxTiles());
        boolean thumbnail = config.useThumbnail() && grid[0] * grid[1] > 1;
        return new TileLayout(width, height, grid[1], grid[0], false, thumbnail);
    }

    @Override
    public List<RgbImage> split(RgbImage image) {
        TileLayout layout = plan(image.width(), image.height());
        int tile = config.tileSize();
        RgbImage resized = Resampler.resize(image, layout.gridCols() * tile, layout.gridRows() * tile, config.resample());
        List<RgbImage> tiles = new ArrayList<>();
        for (int row = 0; row < layout.gridRows(); row++) {
            for (int col = 0; col < layout.gridCols(); col++) {
                tiles.add(ImageOps.crop(resized, col * tile, row * tile, tile, tile));
            }
        }
        if (layout.thumbnailLast()) {
            tiles.add(Resampler.resize(image, tile, tile, config.resample()));
        }
        return tiles;
    }

    @Override
    public NDArray merge(NDArray tileFeatures, TileLayout layout, TokenGrid tileGrid, NDArray newline) {
        long d = tileFeatures.getShape().get(2);
        return tileFeatures.reshape(tileFeatures.getShape().get(0) * tileFeatures.getShape().get(1), d);
    }

    @Override
    public int mergedTokens(TileLayout layout, TokenGrid tileGrid) {
        return layout.tileCount() * tileGrid.tokens();
    }
}
