package org.mix4j.image;

/**
 * Fixed-point filter weights for one axis of a resize, as Pillow's {@code precompute_coeffs} and
 * {@code normalize_coeffs_8bpc} compute them: for output index {@code i}, source pixels
 * {@code bounds[2i] .. bounds[2i] + bounds[2i+1] - 1} with weights {@code kk[i * ksize + j]}.
 */
final class Coefficients {

    final int ksize;
    final int[] bounds;
    final int[] kk;

    private Coefficients(int ksize, int[] bounds, int[] kk) {
        this.ksize = ksize;
        this.bounds = bounds;
        this.kk = kk;
    }

    /**
     * @param inSize source length along the axis
     * @param in0 start of the source region (PIL box, a C float)
     * @param in1 end of the source region
     * @param outSize output length
     */
    static Coefficients of(int inSize, float in0, float in1, int outSize, Resample filter) {
        double scale = (double) (in1 - in0) / outSize;
        double filterScale = scale < 1.0 ? 1.0 : scale;
        // Downscaling widens the kernel so that every source pixel contributes (antialiasing).
        double support = filter.support() * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resize to " + outSize + " pixels from " + inSize
                    + " needs too many filter coefficients");
        }
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] k = new double[ksize];
        double inverseScale = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter.kernel((x + xmin - center + 0.5) * inverseScale);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    k[x] /= ww;
                }
                kk[xx * ksize + x] = toFixed(k[x]);
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, kk);
    }

    /** Rounds half away from zero into {@link Resampler#PRECISION_BITS} fraction bits. */
    private static int toFixed(double weight) {
        double scaled = weight * (1 << Resampler.PRECISION_BITS);
        return weight < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
    }
}
