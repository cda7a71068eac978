package org.mix4j.connectors;

import org.mix4j.connectors.RawTensors.Tensor;

/** Float64 reference arithmetic for tests, written from the formulas, not from the code under test. */
public final class Reference {

    private Reference() {}

    /** {@code x [rows, in]} times {@code weight [out, in]}^T plus {@code bias [out]} (may be null). */
    public static double[][] linear(double[][] x, Tensor weight, Tensor bias) {
        int out = weight.dim(0);
        int in = weight.dim(1);
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias.values()[o];
                for (int i = 0; i < in; i++) {
                    s += x[r][i] * weight.values()[o * in + i];
                }
                y[r][o] = s;
            }
        }
        return y;
    }

    public static double[][] map(double[][] x, java.util.function.DoubleUnaryOperator f) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            y[r] = java.util.Arrays.stream(x[r]).map(f).toArray();
        }
        return y;
    }

    /** Exact GELU: {@code x/2 (1 + erf(x / sqrt 2))}. */
    public static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** erf to about 1e-14: Maclaurin series near 0, continued fraction for erfc beyond 3. */
    public static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double t = a;
            for (int k = 80; k >= 1; k--) {
                t = a + (k / 2.0) / t;
            }
            r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
        }
        return x < 0 ? -r : r;
    }

    /** {@code [rows, cols]} view of a flat row-major array. */
    public static double[][] rows(double[] flat, int rows, int cols) {
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    public static double maxAbsDiff(double[][] expected, float[] actual) {
        double worst = 0;
        int cols = expected[0].length;
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < cols; c++) {
                worst = Math.max(worst, Math.abs(expected[r][c] - actual[r * cols + c]));
            }
        }
        return worst;
    }

    /** Gaussian rows rounded to float32, so the float32 input and the float64 reference agree exactly. */
    public static double[][] randomRows(int rows, int cols, long seed) {
        java.util.Random random = new java.util.Random(seed);
        double[][] x = new double[rows][cols];
        for (double[] row : x) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) random.nextGaussian();
            }
        }
        return x;
    }

    /** Row-major float32 copy. */
    public static float[] toFloat(double[][] x) {
        float[] out = new float[x.length * x[0].length];
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[r].length; c++) {
                out[r * x[r].length + c] = (float) x[r][c];
            }
        }
        return out;
    }
}
