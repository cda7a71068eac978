package org.mix4j.tiling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.mix4j.api.TokenGrid;

/**
 * How tile features become one token sequence again, as LLaVA-NeXT's {@code pack_image_features}
 * does: the base image's tokens first, then the grid tiles stitched into one feature map, stripped
 * of the rows or columns that only saw padding, optionally reduced ({@code anyres_max_N}), with a
 * learned newline after every row.
 */
public final class FeaturePacking {

    private FeaturePacking() {}

    /**
     * @param tileFeatures {@code [1 + gridRows * gridCols, r * c, D]}: base tile first, then the grid row-major
     * @param tileGrid the {@code r x c} token grid of one tile (no prefix tokens)
     * @param newline {@code [D]}, or {@code null}
     * @param maxPatches {@code N} of {@code anyres_max_N}, or 0 for none
     * @return {@code [N, D]} in the manager of {@code tileFeatures}
     */
    public static NDArray packAnyRes(NDArray tileFeatures, int gridRows, int gridCols, TokenGrid tileGrid,
            int originalHeight, int originalWidth, NDArray newline, int maxPatches) {
        if (tileGrid.prefixTokens() != 0) {
            throw new IllegalArgumentException("anyres tiling needs patch features without CLS (select: patch), got "
                    + tileGrid.prefixTokens() + " prefix token(s)");
        }
        long tiles = tileFeatures.getShape().get(0);
        long d = tileFeatures.getShape().get(2);
        int r = tileGrid.rows();
        int c = tileGrid.cols();
        if (tiles != 1L + (long) gridRows * gridCols || tileFeatures.getShape().get(1) != (long) r * c) {
            throw new IllegalArgumentException("tile features " + tileFeatures.getShape() + " do not match a "
                    + gridRows + "x" + gridCols + " grid plus base of " + r + "x" + c + " tokens");
        }
        NDManager caller = tileFeatures.getManager();
        try (NDManager scope = caller.newSubManager()) {
            NDArray base = tileFeatures.get(0); // [r*c, D]
            if (gridRows * gridCols == 0) {
                NDArray out = newline == null ? base.duplicate() : base.concat(newline.reshape(1, d), 0);
                out.attach(caller);
                return out;
            }
            NDArray grid = tileFeatures.get(new NDIndex("1:"))
                    .reshape(gridRows, gridCols, r, c, d) // [gr, gc, r, c, D]
                    .transpose(4, 0, 2, 1, 3) // [D, gr, r, gc, c]
                    .reshape(d, (long) gridRows * r, (long) gridCols * c); // [D, H, W]
            int[] region = AnyRes.unpaddedRegion(gridRows * r, gridCols * c, originalHeight, originalWidth);
            grid = grid.get(new NDIndex(":, {}:{}, {}:{}", region[0], region[1], region[2], region[3]));
            if (maxPatches > 0) {
                int[] size = AnyRes.maxPatchesSize((int) grid.getShape().get(1), (int) grid.getShape().get(2), r, maxPatches);
                grid = bilinear(grid, size[0], size[1]);
            }
            long h = grid.getShape().get(1);
            long w = grid.getShape().get(2);
            if (newline != null) {
                NDArray column = newline.reshape(d, 1, 1).broadcast(new Shape(d, h, 1));
                grid = grid.concat(column, 2); // [D, H, W + 1]
                w += 1;
            }
            NDArray tokens = grid.reshape(d, h * w).transpose(); // [H * (W+1), D]
            NDArray out = NDArrays.concat(new ai.djl.ndarray.NDList(base, tokens), 0);
            out.attach(caller);
            return out;
        }
    }

    /** Token count of {@link #packAnyRes}, without running anything. */
    public static int packedTokens(int gridRows, int gridCols, TokenGrid tileGrid, int originalHeight, int originalWidth,
            boolean newline, int maxPatches) {
        int r = tileGrid.rows();
        int c = tileGrid.cols();
        int base = r * c;
        if (gridRows * gridCols == 0) {
            return base + (newline ? 1 : 0);
        }
        int[] region = AnyRes.unpaddedRegion(gridRows * r, gridCols * c, originalHeight, originalWidth);
        int h = region[1] - region[0];
        int w = region[3] - region[2];
        if (maxPatches > 0) {
            int[] size = AnyRes.maxPatchesSize(h, w, r, maxPatches);
            h = size[0];
            w = size[1];
        }
        return base + h * (w + (newline ? 1 : 0));
    }

    /**
     * Bilinear resize of {@code [C, H, W]} to {@code [C, outH, outW]} with PyTorch's
     * {@code interpolate(mode="bilinear", align_corners=False)} sampling, as two small matrix
     * products.
     */
    public static NDArray bilinear(NDArray x, int outH, int outW) {
        long inH = x.getShape().get(1);
        long inW = x.getShape().get(2);
        if (inH == outH && inW == outW) {
            return x;
        }
        NDManager m = x.getManager();
        NDArray rows = m.create(weights((int) inH, outH), new Shape(outH, inH)).toType(x.getDataType(), false);
        NDArray cols = m.create(weights((int) inW, outW), new Shape(outW, inW)).toType(x.getDataType(), false);
        return rows.matMul(x).matMul(cols.transpose()); // [C, outH, inW] -> [C, outH, outW]
    }

    /** Interpolation matrix {@code [out, in]} of linear sampling with half-pixel centres. */
    static float[] weights(int in, int out) {
        float[] w = new float[out * in];
        double scale = (double) in / out;
        for (int o = 0; o < out; o++) {
            double src = Math.max((o + 0.5) * scale - 0.5, 0);
            int i0 = Math.min((int) Math.floor(src), in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            double lambda = src - i0;
            w[o * in + i0] += (float) (1 - lambda);
            w[o * in + i1] += (float) lambda;
        }
        return w;
    }
}
