package org.mix4j.diffusion.schedulers;

import java.util.List;

/**
 * The training noise schedule of the DDPM family (Ho et al., 2020): betas, their complements and
 * the cumulative products {@code alphas_cumprod}, as diffusers builds them in every scheduler's
 * constructor.
 *
 * <p>Values are computed in float64 and rounded to float32 exactly where diffusers materialises a
 * float32 tensor (betas, alphas, the cumulative product), so the tables hold the numbers the
 * reference steps with. Like torch's CPU {@code cumprod}, the product accumulates in float64.
 */
public final class NoiseSchedule {

    private final float[] betas;
    private final float[] alphasCumprod;

    private NoiseSchedule(float[] betas) {
        this.betas = betas;
        this.alphasCumprod = cumprod(complement(betas));
    }

    public static NoiseSchedule of(TrainingSchedule config) {
        int n = config.numTrainTimesteps();
        float[] betas;
        if (config.trainedBetas() != null) {
            List<Double> trained = config.trainedBetas();
            betas = new float[n];
            for (int i = 0; i < n; i++) {
                betas[i] = trained.get(i).floatValue();
            }
        } else {
            betas = switch (config.betaSchedule()) {
                case LINEAR -> toFloat(linspace(config.betaStart(), config.betaEnd(), n, false));
                case SCALED_LINEAR -> toFloat(linspace(Math.sqrt(config.betaStart()), Math.sqrt(config.betaEnd()), n, true));
                case SQUAREDCOS_CAP_V2 -> cosine(n);
            };
        }
        if (config.rescaleBetasZeroSnr()) {
            betas = rescaleZeroTerminalSnr(betas);
        }
        return new NoiseSchedule(betas);
    }

    /**
     * The table the sigma-space schedulers (Euler, DPM-Solver) use: with a zero-terminal-SNR
     * schedule they put {@code 2^-24} in place of the final zero so the last sigma stays finite.
     */
    public NoiseSchedule withFiniteTerminalSigma(boolean rescaled) {
        if (!rescaled) {
            return this;
        }
        NoiseSchedule copy = new NoiseSchedule(betas);
        copy.alphasCumprod[copy.alphasCumprod.length - 1] = 0x1p-24f;
        return copy;
    }

    /** {@code alphas_cumprod}, float32 values; a copy. */
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    public float alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** Betas, float32 values; a copy. */
    public float[] betas() {
        return betas.clone();
    }

    public int size() {
        return alphasCumprod.length;
    }

    /**
     * Karras sigmas of every training step, {@code sqrt((1 - acp) / acp)}, in float32 arithmetic as
     * the Euler and DPM-Solver schedulers compute them.
     */
    public float[] sigmas() {
        float[] sigmas = new float[alphasCumprod.length];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = sigma(alphasCumprod[i]);
        }
        return sigmas;
    }

    static float sigma(float alphaCumprod) {
        float ratio = (1f - alphaCumprod) / alphaCumprod;
        return (float) Math.sqrt(ratio);
    }

    /**
     * {@code torch.linspace(start, end, n, dtype=float32)}, optionally squared: the endpoints are
     * float32, the points (filled from both ends, as torch does) and their squares are float64,
     * rounded to float32 once by the caller. This reproduces every sigma of the diffusers fixtures
     * bit for bit; squaring the rounded float32 points instead is off by one ulp in about one
     * sigma in five.
     */
    private static double[] linspace(double start, double end, int n, boolean squared) {
        double s = (float) start;
        double e = (float) end;
        double step = (e - s) / (n - 1);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double x = i < n / 2 ? s + step * i : e - step * (n - 1 - i);
            out[i] = squared ? x * x : x;
        }
        return out;
    }

    private static float[] toFloat(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    /** Glide's cosine schedule: {@code beta_i = min(1 - abar(t2) / abar(t1), 0.999)} in float64. */
    private static float[] cosine(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            out[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
        }
        return out;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /**
     * Algorithm 1 of Lin et al. (2023): shift and scale {@code sqrt(alphas_cumprod)} so the last
     * step has zero signal, then recover betas. float32 element arithmetic, like the reference.
     */
    private static float[] rescaleZeroTerminalSnr(float[] betas) {
        float[] sqrtAcp = cumprod(complement(betas));
        for (int i = 0; i < sqrtAcp.length; i++) {
            sqrtAcp[i] = (float) Math.sqrt(sqrtAcp[i]);
        }
        float first = sqrtAcp[0];
        float last = sqrtAcp[sqrtAcp.length - 1];
        float scale = first / (first - last);
        float[] alphaBar = new float[sqrtAcp.length];
        for (int i = 0; i < sqrtAcp.length; i++) {
            float shifted = (sqrtAcp[i] - last) * scale;
            alphaBar[i] = shifted * shifted;
        }
        float[] out = new float[betas.length];
        out[0] = 1f - alphaBar[0];
        for (int i = 1; i < out.length; i++) {
            out[i] = 1f - alphaBar[i] / alphaBar[i - 1];
        }
        return out;
    }

    private static float[] complement(float[] betas) {
        float[] alphas = new float[betas.length];
        for (int i = 0; i < betas.length; i++) {
            alphas[i] = 1f - betas[i];
        }
        return alphas;
    }

    private static float[] cumprod(float[] x) {
        float[] out = new float[x.length];
        double acc = 1;
        for (int i = 0; i < x.length; i++) {
            acc *= x[i];
            out[i] = (float) acc;
        }
        return out;
    }
}
