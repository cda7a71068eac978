package org.mix4j.diffusion.schedulers;

/**
 * The numpy routines diffusers builds inference schedules with, reproduced operation for operation
 * in float64 so that rounded timesteps come out identical: {@code np.linspace}, {@code np.arange}
 * with a fractional step, {@code np.round} (half to even), {@code np.interp}, and the Karras sigma
 * ramp with its inverse {@code _sigma_to_t}.
 */
final class Spacing {

    private Spacing() {}

    /** {@code np.linspace(start, stop, num, endpoint)}: {@code i * step + start}, the end point set exactly. */
    static double[] linspace(double start, double stop, int num, boolean endpoint) {
        double[] out = new double[num];
        int div = endpoint ? num - 1 : num;
        double delta = stop - start;
        for (int i = 0; i < num; i++) {
            out[i] = div > 0 ? i * (delta / div) + start : start;
        }
        if (endpoint && num > 1) {
            out[num - 1] = stop;
        }
        return out;
    }

    /**
     * {@code np.arange(start, stop, step)} for float steps: numpy fills {@code start + i * delta}
     * where {@code delta = (start + step) - start}, with {@code ceil((stop - start) / step)} values.
     */
    static double[] arange(double start, double stop, double step) {
        int length = (int) Math.max(0, Math.ceil((stop - start) / step));
        double delta = (start + step) - start;
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = start + i * delta;
        }
        return out;
    }

    /** {@code np.round}: half to even. */
    static double[] round(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.rint(x[i]);
        }
        return out;
    }

    static double[] reversed(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[x.length - 1 - i];
        }
        return out;
    }

    /** {@code np.interp(x, arange(len(fp)), fp)}, float64, with numpy's exact-hit and end rules. */
    static double[] interp(double[] x, float[] fp) {
        double[] out = new double[x.length];
        int last = fp.length - 1;
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            if (Double.isNaN(v)) {
                out[i] = v;
            } else if (v < 0) {
                out[i] = fp[0];
            } else if (v >= last) {
                out[i] = fp[last];
            } else {
                int j = (int) Math.floor(v);
                if (j == v) {
                    out[i] = fp[j];
                } else {
                    double slope = (double) fp[j + 1] - fp[j]; // the xp spacing is 1
                    out[i] = slope * (v - j) + fp[j];
                }
            }
        }
        return out;
    }

    /** Karras et al. (2022), eq. 5 with rho = 7: {@code n} sigmas from {@code max} down to {@code min}. */
    static double[] karras(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double[] ramp = linspace(0, 1, n, true);
        double minInvRho = Math.pow(sigmaMin, 1 / rho);
        double maxInvRho = Math.pow(sigmaMax, 1 / rho);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
        }
        return out;
    }

    /**
     * diffusers' {@code _sigma_to_t}: the fractional training step whose log-sigma brackets
     * {@code log(sigma)}, interpolated linearly in log space.
     *
     * @param logSigmas log of the training sigmas, ascending
     */
    static double sigmaToT(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i;
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        double lo = logSigmas[low];
        double hi = logSigmas[low + 1];
        double w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
        return (1 - w) * low + w * (low + 1);
    }

    /** {@code np.log} of a float32 table. */
    static float[] log(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) Math.log(x[i]);
        }
        return out;
    }
}
