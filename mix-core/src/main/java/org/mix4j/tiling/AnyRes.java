package org.mix4j.tiling;

import java.util.List;

/**
 * The arithmetic of LLaVA-NeXT's "anyres" tiling (Liu et al., "LLaVA-NeXT: Improved reasoning,
 * OCR, and world knowledge", 2024; as implemented in transformers' LlavaNextImageProcessor and
 * LlavaNextForConditionalGeneration): which grid resolution an image gets, how it is resized and
 * padded into it, and which feature rows and columns are padding afterwards. Sizes are
 * {@code [height, width]} like the reference.
 */
public final class AnyRes {

    private AnyRes() {}

    /**
     * The pinpoint that keeps the most of the image's resolution after an aspect-preserving fit,
     * and among equals wastes the least area.
     *
     * @param pinpoints candidate {@code [height, width]} resolutions
     */
    public static int[] selectBestResolution(int height, int width, List<List<Integer>> pinpoints) {
        int[] best = null;
        long bestEffective = -1;
        long bestWasted = Long.MAX_VALUE;
        for (List<Integer> p : pinpoints) {
            int h = p.get(0);
            int w = p.get(1);
            double scale = Math.min((double) w / width, (double) h / height);
            long downW = (long) (width * scale);
            long downH = (long) (height * scale);
            long effective = Math.min(downW * downH, (long) width * height);
            long wasted = (long) w * h - effective;
            if (effective > bestEffective || (effective == bestEffective && wasted < bestWasted)) {
                best = new int[] {h, w};
                bestEffective = effective;
                bestWasted = wasted;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("grid_pinpoints is empty");
        }
        return best;
    }

    /**
     * Size of the image resized to fit {@code [targetH, targetW]} keeping its aspect ratio (the side
     * that limits is exact, the other rounded up but never past the target).
     */
    public static int[] fitSize(int height, int width, int targetH, int targetW) {
        double scaleW = (double) targetW / width;
        double scaleH = (double) targetH / height;
        if (scaleW < scaleH) {
            return new int[] {Math.min((int) Math.ceil(height * scaleW), targetH), targetW};
        }
        return new int[] {targetH, Math.min((int) Math.ceil(width * scaleH), targetW)};
    }

    /**
     * The margin {@code [top, left]} that 4.47's {@code _pad_for_patching} puts on each side of an
     * image fitted to {@code [fitH, fitW]} inside {@code [targetH, targetW]}: {@code (target - fit) // 2}
     * on both sides, so an odd difference leaves the padded image one pixel short of the target.
     */
    public static int[] padding(int fitH, int fitW, int targetH, int targetW) {
        return new int[] {(targetH - fitH) / 2, (targetW - fitW) / 2};
    }

    /**
     * The region of a {@code [rows, cols]} feature map (tiles merged) that holds the image rather
     * than its padding: {@code [top, bottom, left, right)}.
     */
    public static int[] unpaddedRegion(int rows, int cols, int originalHeight, int originalWidth) {
        double originalAspect = (double) originalWidth / originalHeight;
        double currentAspect = (double) cols / rows;
        if (originalAspect > currentAspect) {
            double scale = (double) cols / originalWidth;
            int newHeight = (int) roundTo7(originalHeight * scale);
            int padding = (rows - newHeight) / 2;
            return new int[] {padding, rows - padding, 0, cols};
        }
        double scale = (double) rows / originalHeight;
        int newWidth = (int) roundTo7(originalWidth * scale);
        int padding = (cols - newWidth) / 2;
        return new int[] {0, rows, padding, cols - padding};
    }

    /** Python's {@code round(x, 7)}: the reference rounds before truncating to avoid 23.999999. */
    private static double roundTo7(double x) {
        return new java.math.BigDecimal(x).setScale(7, java.math.RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * LLaVA-OneVision's {@code anyres_max_N}: the size a {@code [rows, cols]} unpadded feature map is
     * bilinearly reduced to when it holds more than {@code maxPatches} base images' worth of tokens
     * ({@code side x side} each), or the same size when it does not.
     */
    public static int[] maxPatchesSize(int rows, int cols, int side, int maxPatches) {
        double ratio = Math.sqrt((double) rows * cols / ((double) maxPatches * side * side));
        if (ratio > 1.1) {
            return new int[] {(int) Math.floor(rows / ratio), (int) Math.floor(cols / ratio)};
        }
        return new int[] {rows, cols};
    }
}
