package org.mix4j.plugins.pixelshuffle;

/** Float64 reference arithmetic for the tests, independent of the code under test and of DJL. */
final class Float64 {

    private Float64() {}

    /** {@code erf} to double precision: power series below 3, continued fraction of erfc above. */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 300 && Math.abs(term) > 1e-18; n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double t = a;
            for (int k = 100; k >= 1; k--) {
                t = a + (k / 2.0) / t;
            }
            r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
        }
        return x < 0 ? -r : r;
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** {@code nn.LayerNorm} of one vector: biased variance. */
    static double[] layerNorm(double[] x, float[] weight, float[] bias, double eps) {
        double mean = 0;
        for (double v : x) {
            mean += v / x.length;
        }
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean) / x.length;
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + eps) * weight[i] + bias[i];
        }
        return out;
    }

    /** {@code W x + b} with {@code W} stored {@code [out][in]} as PyTorch does. */
    static double[] linear(double[] x, float[][] w, float[] b) {
        double[] out = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            double s = b[o];
            for (int i = 0; i < x.length; i++) {
                s += (double) w[o][i] * x[i];
            }
            out[o] = s;
        }
        return out;
    }
}
