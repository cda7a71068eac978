package org.mix4j.data.filter;

import java.util.Arrays;
import org.mix4j.api.RgbImage;

/**
 * The 64-bit DCT perceptual hash of {@code imagehash.phash}: the picture in grey shrunk to 32x32
 * (area average), its 2-D DCT, and one bit per coefficient of the lowest 8x8 frequencies: above
 * their median or not. Near-identical pictures (re-encoded, resized, lightly edited) differ in
 * few bits; the Hamming distance compares them.
 */
public final class PerceptualHash {

    private static final int SIZE = 32;
    private static final int LOW = 8;
    private static final double[][] COS = new double[SIZE][SIZE];

    static {
        for (int k = 0; k < SIZE; k++) {
            for (int n = 0; n < SIZE; n++) {
                COS[k][n] = Math.cos(Math.PI * k * (2 * n + 1) / (2.0 * SIZE));
            }
        }
    }

    private PerceptualHash() {}

    public static long of(RgbImage image) {
        double[][] grey = shrunkGrey(image);
        double[][] rows = new double[SIZE][LOW]; // DCT along x, low frequencies only
        for (int y = 0; y < SIZE; y++) {
            for (int k = 0; k < LOW; k++) {
                double s = 0;
                for (int x = 0; x < SIZE; x++) {
                    s += grey[y][x] * COS[k][x];
                }
                rows[y][k] = s;
            }
        }
        double[] low = new double[LOW * LOW]; // then along y
        for (int ky = 0; ky < LOW; ky++) {
            for (int kx = 0; kx < LOW; kx++) {
                double s = 0;
                for (int y = 0; y < SIZE; y++) {
                    s += rows[y][kx] * COS[ky][y];
                }
                low[ky * LOW + kx] = s;
            }
        }
        double[] sorted = low.clone();
        Arrays.sort(sorted);
        double median = (sorted[31] + sorted[32]) / 2;
        long hash = 0;
        for (int i = 0; i < low.length; i++) {
            hash = (hash << 1) | (low[i] > median ? 1 : 0);
        }
        return hash;
    }

    public static int distance(long a, long b) {
        return Long.bitCount(a ^ b);
    }

    /** Luma (ITU-R 601, as PIL's "L") averaged over 32x32 cells. */
    private static double[][] shrunkGrey(RgbImage image) {
        double[][] sum = new double[SIZE][SIZE];
        int[][] count = new int[SIZE][SIZE];
        int w = image.width();
        int h = image.height();
        for (int y = 0; y < h; y++) {
            int cy = (int) ((long) y * SIZE / h);
            for (int x = 0; x < w; x++) {
                int cx = (int) ((long) x * SIZE / w);
                sum[cy][cx] += 0.299 * image.get(x, y, 0) + 0.587 * image.get(x, y, 1) + 0.114 * image.get(x, y, 2);
                count[cy][cx]++;
            }
        }
        double[][] grey = new double[SIZE][SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                // a side shorter than 32 px leaves cells empty: they take the cell their pixel lies in
                int sy = count[y][x] > 0 ? y : (int) ((long) (y * h / SIZE) * SIZE / h);
                int sx = count[y][x] > 0 ? x : (int) ((long) (x * w / SIZE) * SIZE / w);
                grey[y][x] = sum[sy][sx] / Math.max(1, count[sy][sx]);
            }
        }
        return grey;
    }
}
