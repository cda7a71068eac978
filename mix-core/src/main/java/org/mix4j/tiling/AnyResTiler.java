package org.mix4j.tiling;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.api.TokenGrid;
import org.mix4j.image.ImageOps;
import org.mix4j.image.Resampler;

/**
 * LLaVA-NeXT "anyres" tiling (see {@link AnyRes}): the image is fitted into the best grid
 * resolution, padded centred with black, cut into tile-size crops row-major, and preceded by the
 * whole image squashed to one tile. Features are merged by {@link FeaturePacking#packAnyRes}, with
 * the model's learned {@code image_newline} after each row when the tiler was given one.
 */
public final class AnyResTiler implements Tiler {

    private final AnyResTilerConfig config;
    private final NDArray newline;

    /** A tiler without a newline tensor (counting and splitting only, or a caller-supplied separator). */
    public AnyResTiler(AnyResTilerConfig config) {
        this(config, null);
    }

    /** @param newline {@code [D]} the model's row separator, or {@code null} */
    public AnyResTiler(AnyResTilerConfig config, NDArray newline) {
        this.config = config;
        this.newline = newline;
    }

    @Override
    public TileLayout plan(int width, int height) {
        int[] best = AnyRes.selectBestResolution(height, width, config.gridPinpoints());
        return new TileLayout(width, height, best[0] / config.tileSize(), best[1] / config.tileSize(), true, false);
    }

    @Override
    public List<RgbImage> split(RgbImage image) {
        int tile = config.tileSize();
        TileLayout layout = plan(image.width(), image.height());
        int targetH = layout.gridRows() * tile;
        int targetW = layout.gridCols() * tile;
        int[] fit = AnyRes.fitSize(image.height(), image.width(), targetH, targetW);
        RgbImage resized = Resampler.resize(image, fit[1], fit[0], config.resample());
        RgbImage padded = ImageOps.pad(resized, targetW, targetH, (targetW - fit[1]) / 2, (targetH - fit[0]) / 2, 0, 0, 0);
        List<RgbImage> tiles = new ArrayList<>();
        tiles.add(Resampler.resize(image, tile, tile, config.resample()));
        for (int row = 0; row < layout.gridRows(); row++) {
            for (int col = 0; col < layout.gridCols(); col++) {
                tiles.add(ImageOps.crop(padded, col * tile, row * tile, tile, tile));
            }
        }
        return tiles;
    }

    @Override
    public NDArray merge(NDArray tileFeatures, TileLayout layout, TokenGrid tileGrid, NDArray newline) {
        return FeaturePacking.packAnyRes(tileFeatures, layout.gridRows(), layout.gridCols(), tileGrid,
                layout.originalHeight(), layout.originalWidth(), newline, config.maxPatches());
    }

    @Override
    public int mergedTokens(TileLayout layout, TokenGrid tileGrid) {
        return FeaturePacking.packedTokens(layout.gridRows(), layout.gridCols(), tileGrid, layout.originalHeight(),
                layout.originalWidth(), config.newline(), config.maxPatches());
    }

    @Override
    public Optional<NDArray> newline() {
        return Optional.ofNullable(newline);
    }

    public AnyResTilerConfig config() {
        return config;
    }
}
