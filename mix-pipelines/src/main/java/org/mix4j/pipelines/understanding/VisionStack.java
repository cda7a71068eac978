package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Connector;
import org.mix4j.api.EncoderOutput;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.TileLayout;
import org.mix4j.api.Tiler;
import org.mix4j.api.TokenGrid;
import org.mix4j.api.VisionEncoder;
import org.mix4j.tiling.FeaturePacking;

/**
 * The image side of an understanding pipeline: tiles, preprocesses and encodes images in batches,
 * optionally adds a second, high-resolution encoder's features on the channel axis (the
 * multi-path encoder of PaddleMIX), projects them into the language model's space and merges each
 * image's tiles back into one token sequence.
 */
public final class VisionStack {

    private final ImageProcessor processor;
    private final Tiler tiler;
    private final VisionEncoder encoder;
    private final ImageProcessor hiresProcessor;
    private final VisionEncoder hiresEncoder;
    private final Connector connector;
    private final int batchSize;

    /**
     * @param hiresProcessor and {@code hiresEncoder}: both or neither
     */
    public VisionStack(ImageProcessor processor, Tiler tiler, VisionEncoder encoder, ImageProcessor hiresProcessor,
            VisionEncoder hiresEncoder, Connector connector, int batchSize) {
        if ((hiresProcessor == null) != (hiresEncoder == null)) {
            throw new IllegalArgumentException("a high-resolution encoder needs its own image processor");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("encoder batch size must be >= 1, got " + batchSize);
        }
        this.processor = processor;
        this.tiler = tiler;
        this.encoder = encoder;
        this.hiresProcessor = hiresProcessor;
        this.hiresEncoder = hiresEncoder;
        this.connector = connector;
        this.batchSize = batchSize;
    }

    /** The token grid of one tile's encoder features. */
    public TokenGrid tileGrid() {
        int[] hw = processor.outputSize();
        return encoder.grid(hw[0], hw[1]);
    }

    /** The grid the connector's output keeps, or a one-row stand-in for grid-less connectors. */
    public TokenGrid projectedGrid() {
        TokenGrid in = tileGrid();
        TokenGrid out = connector.outputGrid(in);
        return out != null ? out : new TokenGrid(1, connector.outputTokens(in), 0);
    }

    /** How many tokens {@link #encode} will produce for an image of this size. */
    public int tokens(int width, int height) {
        return tiler.mergedTokens(tiler.plan(width, height), projectedGrid());
    }

    /**
     * Encodes images into language-model embeddings.
     *
     * @return one {@code [N_i, D]} per image, attached to {@code manager}
     */
    public List<NDArray> encode(List<RgbImage> images, NDManager manager) {
        List<TileLayout> layouts = new ArrayList<>();
        List<RgbImage> tiles = new ArrayList<>();
        for (RgbImage image : images) {
            layouts.add(tiler.plan(image.width(), image.height()));
            List<RgbImage> split = tiler.split(image);
            if (split.size() != layouts.get(layouts.size() - 1).tileCount()) {
                throw new IllegalStateException("tiler produced " + split.size() + " tiles for a layout of "
                        + layouts.get(layouts.size() - 1).tileCount());
            }
            tiles.addAll(split);
        }
        List<NDArray> out = new ArrayList<>();
        NDArray newline = tiler.newline().orElse(null);
        try (NDManager scope = manager.newSubManager()) {
            NDArray projected = projectTiles(tiles, scope); // [tiles, M, D]
            int offset = 0;
            for (TileLayout layout : layouts) {
                NDArray mine = projected.get(new NDIndex("{}:{}", offset, offset + layout.tileCount()));
                NDArray merged = tiler.merge(mine, layout, projectedGrid(), newline);
                merged.attach(manager);
                out.add(merged);
                offset += layout.tileCount();
            }
        }
        return out;
    }

    /** Preprocess, encode and project tiles, {@code batchSize} at a time: {@code [tiles, M, D]}. */
    private NDArray projectTiles(List<RgbImage> tiles, NDManager scope) {
        NDList parts = new NDList();
        for (int start = 0; start < tiles.size(); start += batchSize) {
            List<RgbImage> batch = tiles.subList(start, Math.min(tiles.size(), start + batchSize));
            try (NDManager step = scope.newSubManager()) {
                NDArray pixels = processor.preprocess(batch, step);
                NDArray projected = project(pixels, batch, step);
                projected.attach(scope);
                parts.add(projected);
            }
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
    }

    /**
     * Encoder features of preprocessed pixels, projected: {@code [B, M, D]}. Used directly by
     * callers that already hold pixel values (golden cases, batch jobs).
     *
     * @param tilesForHires the same images, for the high-resolution encoder's own preprocessing;
     *     may be {@code null} when there is none
     */
    public NDArray project(NDArray pixels, List<RgbImage> tilesForHires, NDManager manager) {
        EncoderOutput low = encoder.encode(pixels);
        NDArray features = low.features();
        TokenGrid grid = low.grid();
        if (hiresEncoder != null) {
            NDArray hiresPixels = hiresProcessor.preprocess(tilesForHires, manager);
            EncoderOutput high = hiresEncoder.encode(hiresPixels);
            features = concatResampled(features, grid, high.features(), high.grid());
        }
        NDArray projected = connector.project(features, null, grid);
        projected.attach(manager);
        return projected;
    }

    /**
     * The high-resolution features, bilinearly resampled to the low-resolution grid, appended on the
     * channel axis: {@code [B, N, Dl + Dh]}.
     */
    static NDArray concatResampled(NDArray low, TokenGrid lowGrid, NDArray high, TokenGrid highGrid) {
        if (lowGrid.prefixTokens() != 0) {
            throw new IllegalArgumentException("encoder_hires needs the main encoder's patch tokens only "
                    + "(select: patch); it has " + lowGrid.prefixTokens() + " prefix token(s)");
        }
        long b = high.getShape().get(0);
        long dh = high.getShape().get(2);
        NDArray patches = high.get(new NDIndex(":, {}:", highGrid.prefixTokens())); // [B, rh*ch, Dh]
        NDArray map = patches.reshape(b, highGrid.rows(), highGrid.cols(), dh)
                .transpose(0, 3, 1, 2) // [B, Dh, rh, ch]
                .reshape(b * dh, highGrid.rows(), highGrid.cols());
        NDArray resampled = FeaturePacking.bilinear(map, lowGrid.rows(), lowGrid.cols()) // [B*Dh, r, c]
                .reshape(b, dh, (long) lowGrid.rows() * lowGrid.cols())
                .transpose(0, 2, 1); // [B, r*c, Dh]
        return low.concat(resampled, 2);
    }

    public VisionEncoder encoder() {
        return encoder;
    }

    public Connector connector() {
        return connector;
    }

    public Tiler tiler() {
        return tiler;
    }

    public ImageProcessor processor() {
        return processor;
    }
}
