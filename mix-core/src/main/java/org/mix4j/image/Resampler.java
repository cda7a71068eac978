package org.mix4j.image;

import org.mix4j.api.RgbImage;

/**
 * Pillow's {@code Image.resize} on 8-bit RGB, bit for bit. Follows {@code libImaging/Resample.c}
 * (Pillow 9.x): per output column/row the filter is evaluated in double at the source positions,
 * its support widened by the downscale factor, normalised to sum 1, turned into fixed-point
 * integers with {@link #PRECISION_BITS} fraction bits, and applied with a rounding bias and an 8-bit
 * clip; a horizontal pass runs before a vertical one, and a pass is skipped when its dimension
 * (and box) is unchanged. NEAREST follows {@code Geometry.c}'s affine scaling instead, and an
 * integer box of exactly the output size is a plain crop, as in {@code _imaging.c}.
 */
public final class Resampler {

    /** Fraction bits of the fixed-point coefficients: 32 - 8 result bits - 2 overflow bits. */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private Resampler() {}

    /** Resizes the whole image to {@code width} x {@code height}, as {@code im.resize((w, h), filter)}. */
    public static RgbImage resize(RgbImage image, int width, int height, Resample filter) {
        return resize(image, width, height, filter, 0f, 0f, image.width(), image.height());
    }

    /**
     * Resizes the source region {@code box = (x0, y0, x1, y1)} (float pixel coordinates, as PIL's
     * {@code box}) to {@code width} x {@code height}.
     */
    public static RgbImage resize(RgbImage image, int width, int height, Resample filter, float x0, float y0,
            float x1, float y1) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize target must be at least 1x1, got " + width + "x" + height);
        }
        if (x0 < 0 || y0 < 0 || x1 > image.width() || y1 > image.height() || x1 - x0 < 0 || y1 - y0 < 0) {
            throw new IllegalArgumentException("resize box (" + x0 + ", " + y0 + ", " + x1 + ", " + y1
                    + ") must lie inside the " + image.width() + "x" + image.height() + " image");
        }
        boolean fullBox = x0 == 0 && y0 == 0 && x1 == image.width() && y1 == image.height();
        if (fullBox && width == image.width() && height == image.height()) {
            return new RgbImage(width, height, image.pixels().clone());
        }
        // An integer box of exactly the target size is a crop in Pillow, whatever the filter.
        if (x0 == (int) x0 && x1 - x0 == width && y0 == (int) y0 && y1 - y0 == height) {
            return ImageOps.crop(image, (int) x0, (int) y0, width, height);
        }
        if (filter == Resample.NEAREST) {
            return nearest(image, width, height, x0, y0, x1, y1);
        }
        return convolve(image, width, height, filter, x0, y0, x1, y1);
    }

    private static RgbImage convolve(RgbImage in, int width, int height, Resample filter, float x0, float y0,
            float x1, float y1) {
        boolean horizontal = width != in.width() || x0 != 0 || x1 != width;
        boolean vertical = height != in.height() || y0 != 0 || y1 != height;
        Coefficients cx = Coefficients.of(in.width(), x0, x1, width, filter);
        Coefficients cy = Coefficients.of(in.height(), y0, y1, height, filter);
        byte[] src = in.pixels();
        int srcWidth = in.width();
        int rowOffset = 0;
        if (horizontal) {
            // Only the source rows the vertical pass will read are resampled, as Pillow does.
            int first = cy.bounds[0];
            int last = cy.bounds[2 * height - 2] + cy.bounds[2 * height - 1];
            src = horizontalPass(src, srcWidth, first, last, cx, width);
            srcWidth = width;
            rowOffset = first;
        }
        if (!vertical) {
            return new RgbImage(width, in.height(), src);
        }
        return new RgbImage(srcWidth, height, verticalPass(src, srcWidth, rowOffset, cy, height));
    }

    /** Rows {@code [first, last)} of {@code src}, each resampled to {@code outWidth} columns. */
    private static byte[] horizontalPass(byte[] src, int inWidth, int first, int last, Coefficients c, int outWidth) {
        byte[] out = new byte[(last - first) * outWidth * 3];
        int half = 1 << (PRECISION_BITS - 1);
        for (int y = first; y < last; y++) {
            int inRow = y * inWidth * 3;
            int outRow = (y - first) * outWidth * 3;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = c.bounds[2 * xx];
                int n = c.bounds[2 * xx + 1];
                int k = xx * c.ksize;
                int r = half;
                int g = half;
                int b = half;
                for (int x = 0; x < n; x++) {
                    int p = inRow + (xmin + x) * 3;
                    int w = c.kk[k + x];
                    r += (src[p] & 0xff) * w;
                    g += (src[p + 1] & 0xff) * w;
                    b += (src[p + 2] & 0xff) * w;
                }
                int o = outRow + xx * 3;
                out[o] = clip8(r);
                out[o + 1] = clip8(g);
                out[o + 2] = clip8(b);
            }
        }
        return out;
    }

    /**
     * Each output row as a weighted sum of source rows. Accumulating whole rows at a time keeps the
     * reads sequential; integer sums do not depend on the order of the additions.
     */
    private static byte[] verticalPass(byte[] src, int width, int rowOffset, Coefficients c, int outHeight) {
        int rowLength = width * 3;
        byte[] out = new byte[outHeight * rowLength];
        int[] acc = new int[rowLength];
        int half = 1 << (PRECISION_BITS - 1);
        for (int yy = 0; yy < outHeight; yy++) {
            java.util.Arrays.fill(acc, half);
            int ymin = c.bounds[2 * yy] - rowOffset;
            int n = c.bounds[2 * yy + 1];
            int k = yy * c.ksize;
            for (int y = 0; y < n; y++) {
                int w = c.kk[k + y];
                int row = (ymin + y) * rowLength;
                for (int i = 0; i < rowLength; i++) {
                    acc[i] += (src[row + i] & 0xff) * w;
                }
            }
            int o = yy * rowLength;
            for (int i = 0; i < rowLength; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    /** Pillow's {@code clip8}: drop the fraction bits and clamp to 0..255. */
    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Nearest neighbour as Pillow's affine scaling: source positions accumulated in double. */
    private static RgbImage nearest(RgbImage in, int width, int height, float x0, float y0, float x1, float y1) {
        double ax = (double) (x1 - x0) / width;
        double ay = (double) (y1 - y0) / height;
        int[] column = new int[width];
        double xo = x0 + ax * 0.5;
        for (int x = 0; x < width; x++) {
            int xin = coord(xo);
            column[x] = xin < in.width() ? xin : -1;
            xo += ax;
        }
        byte[] src = in.pixels();
        byte[] out = new byte[width * height * 3];
        double yo = y0 + ay * 0.5;
        for (int y = 0; y < height; y++) {
            int yin = coord(yo);
            yo += ay;
            if (yin < 0 || yin >= in.height()) {
                continue; // Pillow fills pixels that map outside the source with zeros
            }
            for (int x = 0; x < width; x++) {
                if (column[x] >= 0) {
                    System.arraycopy(src, (yin * in.width() + column[x]) * 3, out, (y * width + x) * 3, 3);
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    private static int coord(double v) {
        return v < 0.0 ? -1 : (int) v;
    }
}
