package org.mix4j.tiling;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.api.TokenGrid;

/** {@code none}: the image is one tile; the image processor resizes it as the checkpoint says. */
public final class NoTiler implements Tiler {

    /** No settings. */
    public record Config() {}

    @Override
    public TileLayout plan(int width, int height) {
        return new TileLayout(width, height, 0, 0, true, false);
    }

    @Override
    public List<RgbImage> split(RgbImage image) {
        return List.of(image);
    }

    @Override
    public NDArray merge(NDArray tileFeatures, TileLayout layout, TokenGrid tileGrid, NDArray newline) {
        return tileFeatures.get(0);
    }

    @Override
    public int mergedTokens(TileLayout layout, TokenGrid tileGrid) {
        return tileGrid.tokens();
    }
}
