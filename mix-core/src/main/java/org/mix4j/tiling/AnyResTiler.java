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
 * resolution, padded centred with black, cut into tile-size crops row-major (see {@link #split}), and preceded by the
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

    /**
     * As transformers 4.47's {@code get_image_patches}: the fitted image is padded by
     * {@code (target - fitted) // 2} on both sides, so an odd margin leaves the padded image one pixel
     * short of the grid and the last row or column of tiles one pixel narrow; the image processor then
     * resizes those tiles by their shortest edge and center-crops them, as the reference does.
     */
    @Override
    public List<RgbImage> split(RgbImage image) {
        int tile = config.tileSize();
        TileLayout layout = plan(image.width(), image.height());
        int[] fit = AnyRes.fitSize(image.height(), image.width(), layout.gridRows() * tile, layout.gridCols() * tile);
        RgbImage resized = Resampler.resize(image, fit[1], fit[0], config.resample());
        int[] pad = AnyRes.padding(fit[0], fit[1], layout.gridRows() * tile, layout.gridCols() * tile);
        int paddedH = fit[0] + 2 * pad[0];
        int paddedW = fit[1] + 2 * pad[1];
        RgbImage padded = ImageOps.pad(resized, paddedW, paddedH, pad[1], pad[0], 0, 0, 0);
        List<RgbImage> tiles = new ArrayList<>();
        tiles.add(Resampler.resize(image, tile, tile, config.resample()));
        for (int top = 0; top < paddedH; top += tile) { // divide_to_patches: rows, then columns
            for (int left = 0; left < paddedW; left += tile) {
                int w = Math.min(tile, paddedW - left);
                int h = Math.min(tile, paddedH - top);
                tiles.add(ImageOps.crop(padded, left, top, w, h));
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
