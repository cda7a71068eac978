package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.StepOutput;

/**
 * Euler's method on the probability-flow ODE in sigma space: Karras et al., "Elucidating the Design
 * Space of Diffusion-Based Generative Models" (2022), Algorithm 2 without churn; behaviour of
 * diffusers 0.31 {@code EulerDiscreteScheduler}. Timesteps are float32 and may be fractional
 * ({@code linspace} spacing); the sigma of each is interpolated linearly from the training table.
 * The step counter starts at the first timestep passed in and advances with each step.
 */
public final class EulerDiscreteScheduler implements DiffusersScheduler {

    private final EulerDiscreteConfig config;
    private final NoiseSchedule schedule;
    /** Training sigmas, ascending with the training step. */
    private final float[] trainSigmas;
    private double[] timesteps;
    /** The schedule's sigmas with the final one appended. */
    private float[] sigmas;
    private int stepIndex = -1;

    public EulerDiscreteScheduler(EulerDiscreteConfig config) {
        this.config = config;
        this.schedule = NoiseSchedule.of(config).withFiniteTerminalSigma(config.rescaleBetasZeroSnr());
        this.trainSigmas = schedule.sigmas();
        int n = trainSigmas.length;
        sigmas = new float[n + 1];
        for (int i = 0; i < n; i++) {
            sigmas[i] = trainSigmas[n - 1 - i];
        }
        timesteps = timestepsFor(Timesteps.allTrainingSteps(config.numTrainTimesteps()));
    }

    private EulerDiscreteScheduler(EulerDiscreteScheduler other) {
        this.config = other.config;
        this.schedule = other.schedule;
        this.trainSigmas = other.trainSigmas;
        this.timesteps = other.timesteps.clone();
        this.sigmas = other.sigmas.clone();
    }

    public EulerDiscreteConfig config() {
        return config;
    }

    @Override
    public void setTimesteps(int n) {
        Checks.steps(n, config.numTrainTimesteps());
        int trainSteps = config.numTrainTimesteps();
        double[] steps = config.timestepSpacing() == TimestepSpacing.LINSPACE
                ? Spacing.reversed(Spacing.linspace(0, trainSteps - 1, n, true))
                : Timesteps.discrete(config.timestepSpacing(), trainSteps, n, config.stepsOffset());
        for (int i = 0; i < steps.length; i++) {
            steps[i] = (float) steps[i];
        }
        double[] stepSigmas = Spacing.interp(steps, trainSigmas);
        if (config.useKarrasSigmas()) {
            double min = config.sigmaMin() != null ? config.sigmaMin() : stepSigmas[stepSigmas.length - 1];
            double max = config.sigmaMax() != null ? config.sigmaMax() : stepSigmas[0];
            stepSigmas = Spacing.karras(min, max, n);
            float[] logSigmas = Spacing.log(trainSigmas);
            for (int i = 0; i < n; i++) {
                steps[i] = (float) Spacing.sigmaToT(stepSigmas[i], logSigmas);
            }
        }
        float last = config.finalSigmasType() == FinalSigmas.SIGMA_MIN ? NoiseSchedule.sigma(schedule.alphaCumprod(0)) : 0f;
        sigmas = new float[stepSigmas.length + 1];
        for (int i = 0; i < stepSigmas.length; i++) {
            sigmas[i] = (float) stepSigmas[i];
        }
        sigmas[stepSigmas.length] = last;
        timesteps = timestepsFor(steps);
        stepIndex = -1;
    }

    /** The timesteps the model sees: the training steps, or {@code 0.25 * log(sigma)} when continuous. */
    private double[] timestepsFor(double[] steps) {
        if (!config.continuousTimesteps()) {
            return steps;
        }
        double[] out = new double[sigmas.length - 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = 0.25f * (float) Math.log(sigmas[i]);
        }
        return out;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public float[] sigmas() {
        return sigmas.clone();
    }

    /** The largest sigma; with {@code leading} spacing, {@code sqrt(max^2 + 1)}. */
    @Override
    public double initNoiseSigma() {
        float max = 0f;
        for (float s : sigmas) {
            max = Math.max(max, s);
        }
        if (config.timestepSpacing() == TimestepSpacing.LEADING) {
            return (float) Math.sqrt(max * max + 1f);
        }
        return max;
    }

    /** {@code sample / sqrt(sigma^2 + 1)}, so the model sees unit-variance input. */
    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        initStepIndex(timestep);
        float sigma = sigmas[stepIndex];
        return sample.div((float) Math.sqrt(sigma * sigma + 1f));
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise) {
        initStepIndex(timestep);
        if (stepIndex >= sigmas.length - 1) {
            throw new IllegalStateException("Euler: step " + stepIndex + " is past the end of the "
                    + (sigmas.length - 1) + "-step schedule; call setTimesteps again");
        }
        float sigma = sigmas[stepIndex];
        float sigmaHat = sigma; // sigma * (gamma + 1) with gamma = 0: no churn
        NDManager caller = sample.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(modelOutput, sample);
            NDArray predOriginal = switch (config.predictionType()) {
                case EPSILON -> sample.sub(modelOutput.mul(sigmaHat));
                case V_PREDICTION -> {
                    float sigmaSq = sigma * sigma + 1f;
                    yield modelOutput.mul(-sigma / (float) Math.sqrt(sigmaSq)).add(sample.div(sigmaSq));
                }
                case SAMPLE -> modelOutput.duplicate();
            };
            NDArray derivative = sample.sub(predOriginal).div(sigmaHat);
            float dt = sigmas[stepIndex + 1] - sigmaHat;
            NDArray prev = sample.add(derivative.mul(dt));
            prev.attach(caller);
            predOriginal.attach(caller);
            stepIndex++;
            return new StepOutput(prev, predOriginal);
        }
    }

    /** {@code original + noise * sigma(t)}. */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double timestep) {
        int index = Timesteps.indexOf(timesteps, timestep);
        if (index < 0) {
            throw new IllegalArgumentException("timestep " + timestep + " is not in the schedule; call setTimesteps "
                    + "and pass one of timesteps()");
        }
        float sigma = sigmas[index];
        NDManager caller = original.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(original, noise);
            NDArray noisy = original.add(noise.mul(sigma));
            noisy.attach(caller);
            return noisy;
        }
    }

    private void initStepIndex(double timestep) {
        if (stepIndex < 0) {
            stepIndex = Timesteps.indexOf(timesteps, timestep);
            if (stepIndex < 0) {
                throw new IllegalArgumentException("Euler: timestep " + timestep + " is not in the schedule; "
                        + "pass the values of timesteps()");
            }
        }
    }

    @Override
    public EulerDiscreteScheduler copy() {
        return new EulerDiscreteScheduler(this);
    }

    @Override
    public boolean integerTimesteps() {
        return false;
    }
}
