package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.StepOutput;

/**
 * DPM-Solver++ multistep, data-prediction form: Lu et al., "DPM-Solver++: Fast Solver for Guided
 * Sampling of Diffusion Probabilistic Models" (2022), Algorithm 2 (second order, midpoint) and its
 * Heun variant; behaviour of diffusers 0.31 {@code DPMSolverMultistepScheduler} with
 * {@code algorithm_type="dpmsolver++"}.
 *
 * <p>State: the step counter and the previous data prediction. The prediction is kept on the Java
 * heap between steps, so nothing native outlives a step and {@link #copy()} is trivially independent.
 */
public final class DpmSolverMultistepScheduler implements DiffusersScheduler {

    private final DpmSolverMultistepConfig config;
    private final NoiseSchedule schedule;
    private final float[] trainSigmas;
    private double[] timesteps;
    private float[] sigmas;
    private boolean scheduled;
    private int stepIndex = -1;
    private int lowerOrderNums;
    /** The previous step's data prediction x0 (solver order 2), or {@code null}. */
    private float[] previousX0;
    private Shape previousShape;

    public DpmSolverMultistepScheduler(DpmSolverMultistepConfig config) {
        this.config = config;
        this.schedule = NoiseSchedule.of(config).withFiniteTerminalSigma(config.rescaleBetasZeroSnr());
        this.trainSigmas = schedule.sigmas();
        this.timesteps = Timesteps.allTrainingSteps(config.numTrainTimesteps());
        this.sigmas = trainSigmas.clone();
    }

    private DpmSolverMultistepScheduler(DpmSolverMultistepScheduler other) {
        this.config = other.config;
        this.schedule = other.schedule;
        this.trainSigmas = other.trainSigmas;
        this.timesteps = other.timesteps.clone();
        this.sigmas = other.sigmas.clone();
        this.scheduled = other.scheduled;
    }

    public DpmSolverMultistepConfig config() {
        return config;
    }

    @Override
    public void setTimesteps(int n) {
        Checks.steps(n, config.numTrainTimesteps());
        int trainSteps = config.numTrainTimesteps();
        int last = trainSteps - clippedSteps();
        double[] steps = switch (config.timestepSpacing()) {
            case LINSPACE -> {
                double[] all = Spacing.reversed(Spacing.round(Spacing.linspace(0, last - 1, n + 1, true)));
                yield Arrays.copyOf(all, n);
            }
            case LEADING -> {
                int ratio = last / (n + 1);
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (double) (n - i) * ratio + config.stepsOffset();
                }
                yield out;
            }
            case TRAILING -> {
                double[] out = Spacing.round(Spacing.arange(last, 0, -(double) trainSteps / n));
                for (int i = 0; i < out.length; i++) {
                    out[i] -= 1;
                }
                yield out;
            }
        };
        double[] stepSigmas;
        if (config.useKarrasSigmas()) {
            stepSigmas = Spacing.karras(trainSigmas[0], trainSigmas[trainSigmas.length - 1], n);
            float[] logSigmas = Spacing.log(trainSigmas);
            steps = new double[n];
            for (int i = 0; i < n; i++) {
                steps[i] = Math.rint(Spacing.sigmaToT(stepSigmas[i], logSigmas));
            }
        } else {
            stepSigmas = Spacing.interp(steps, trainSigmas);
        }
        sigmas = new float[stepSigmas.length + 1];
        for (int i = 0; i < stepSigmas.length; i++) {
            sigmas[i] = (float) stepSigmas[i];
        }
        sigmas[stepSigmas.length] = config.finalSigmasType() == FinalSigmas.SIGMA_MIN
                ? NoiseSchedule.sigma(schedule.alphaCumprod(0)) : 0f;
        timesteps = steps;
        scheduled = true;
        stepIndex = -1;
        lowerOrderNums = 0;
        previousX0 = null;
    }

    /** How many of the noisiest training steps {@code lambda_min_clipped} cuts off. */
    private int clippedSteps() {
        double lambdaMin = config.lambdaMin();
        int count = 0;
        for (int t = 0; t < schedule.size(); t++) {
            float acp = schedule.alphaCumprod(t);
            float lambda = (float) Math.log((float) Math.sqrt(acp)) - (float) Math.log((float) Math.sqrt(1f - acp));
            if (lambda < lambdaMin) {
                count++;
            }
        }
        return count;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public float[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        return sample;
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise) {
        if (!scheduled) {
            throw new IllegalStateException("DPM-Solver: call setTimesteps before step");
        }
        if (stepIndex < 0) {
            int index = Timesteps.indexOf(timesteps, timestep);
            stepIndex = index >= 0 ? index : timesteps.length - 1;
        }
        if (stepIndex >= timesteps.length) {
            throw new IllegalStateException("DPM-Solver: the " + timesteps.length + "-step schedule is finished; "
                    + "call setTimesteps again");
        }
        int n = timesteps.length;
        boolean lowerOrderFinal = stepIndex == n - 1 && (config.eulerAtFinal()
                || (config.lowerOrderFinal() && n < 15) || config.finalSigmasType() == FinalSigmas.ZERO);
        boolean firstOrder = config.solverOrder() == 1 || lowerOrderNums < 1 || lowerOrderFinal;
        NDManager caller = sample.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(modelOutput, sample);
            NDArray x0 = dataPrediction(modelOutput, sample);
            NDArray prev = firstOrder ? firstOrderUpdate(x0, sample)
                    : secondOrderUpdate(x0, scope.create(previousX0, previousShape), sample);
            if (config.solverOrder() > 1) {
                previousX0 = x0.toFloatArray();
                previousShape = x0.getShape();
            }
            if (lowerOrderNums < config.solverOrder()) {
                lowerOrderNums++;
            }
            stepIndex++;
            prev.attach(caller);
            x0.attach(caller);
            return new StepOutput(prev, x0);
        }
    }

    /** diffusers' {@code convert_model_output} for dpmsolver++: the model output as a clean-sample estimate. */
    private NDArray dataPrediction(NDArray modelOutput, NDArray sample) {
        NDArray output = config.varianceType() != null ? modelOutput.get(":, :3") : modelOutput;
        float[] alphaSigma = alphaSigma(sigmas[stepIndex]);
        return switch (config.predictionType()) {
            case EPSILON -> sample.sub(output.mul(alphaSigma[1])).div(alphaSigma[0]);
            case SAMPLE -> output.duplicate();
            case V_PREDICTION -> sample.mul(alphaSigma[0]).sub(output.mul(alphaSigma[1]));
        };
    }

    /** DPM-Solver++ first order (DDIM in data-prediction form). */
    private NDArray firstOrderUpdate(NDArray x0, NDArray sample) {
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s = alphaSigma(sigmas[stepIndex]);
        float h = lambda(t) - lambda(s);
        float expm1 = (float) Math.exp(-h) - 1f;
        return sample.mul(t[1] / s[1]).sub(x0.mul(t[0] * expm1));
    }

    /** Multistep second order from the current and previous data predictions. */
    private NDArray secondOrderUpdate(NDArray m0, NDArray m1, NDArray sample) {
        float[] t = alphaSigma(sigmas[stepIndex + 1]);
        float[] s0 = alphaSigma(sigmas[stepIndex]);
        float[] s1 = alphaSigma(sigmas[stepIndex - 1]);
        float lambdaT = lambda(t);
        float lambdaS0 = lambda(s0);
        float h = lambdaT - lambdaS0;
        float h0 = lambdaS0 - lambda(s1);
        float r0 = h0 / h;
        NDArray d1 = m0.sub(m1).mul(1f / r0);
        float expm1 = (float) Math.exp(-h) - 1f;
        NDArray x = sample.mul(t[1] / s0[1]).sub(m0.mul(t[0] * expm1));
        if (config.heun()) {
            return x.add(d1.mul(t[0] * (expm1 / h + 1f)));
        }
        return x.sub(d1.mul(0.5f * (t[0] * expm1)));
    }

    /** {@code [alpha_t, sigma_t]} of a Karras sigma: {@code alpha = 1 / sqrt(sigma^2 + 1)}, float32. */
    private static float[] alphaSigma(float sigma) {
        float alpha = 1f / (float) Math.sqrt(sigma * sigma + 1f);
        return new float[] {alpha, sigma * alpha};
    }

    /** Half log-SNR {@code log(alpha) - log(sigma)}, float32. */
    private static float lambda(float[] alphaSigma) {
        return (float) Math.log(alphaSigma[0]) - (float) Math.log(alphaSigma[1]);
    }

    /** {@code alpha(t) * original + sigma(t) * noise} at the schedule's sigma of {@code timestep}. */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double timestep) {
        int index = Timesteps.indexOf(timesteps, timestep);
        float[] as = alphaSigma(sigmas[index >= 0 ? index : timesteps.length - 1]);
        NDManager caller = original.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(original, noise);
            NDArray noisy = original.mul(as[0]).add(noise.mul(as[1]));
            noisy.attach(caller);
            return noisy;
        }
    }

    @Override
    public DpmSolverMultistepScheduler copy() {
        return new DpmSolverMultistepScheduler(this);
    }

    @Override
    public boolean integerTimesteps() {
        return true;
    }
}
