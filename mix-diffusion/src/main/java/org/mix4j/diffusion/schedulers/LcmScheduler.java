package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.StepOutput;

/**
 * Multistep latent-consistency sampling: Luo et al., "Latent Consistency Models" (2023), Algorithm 1;
 * behaviour of diffusers 0.31 {@code LCMScheduler}. Each step maps the latent to the consistency
 * function's clean estimate {@code c_skip * x + c_out * x0}, then re-noises it to the next timestep
 * with fresh Gaussian noise drawn from the step's {@link NoiseSource} (every step but the last).
 */
public final class LcmScheduler implements DiffusersScheduler {

    /** sigma_data of the consistency boundary condition (Song et al., 2023). */
    private static final float SIGMA_DATA_SQ = 0.25f;

    private final LcmConfig config;
    private final NoiseSchedule schedule;
    private final float finalAlphaCumprod;
    private double[] timesteps;
    private int numInferenceSteps;
    private int stepIndex = -1;

    public LcmScheduler(LcmConfig config) {
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : schedule.alphaCumprod(0);
        this.timesteps = Timesteps.allTrainingSteps(config.numTrainTimesteps());
    }

    private LcmScheduler(LcmScheduler other) {
        this.config = other.config;
        this.schedule = other.schedule;
        this.finalAlphaCumprod = other.finalAlphaCumprod;
        this.timesteps = other.timesteps.clone();
        this.numInferenceSteps = other.numInferenceSteps;
    }

    public LcmConfig config() {
        return config;
    }

    /**
     * {@code n} timesteps evenly indexed (floored) into the distillation schedule
     * {@code k - 1, 2k - 1, ..., original_inference_steps * k - 1}, {@code k = T // original}, descending.
     */
    @Override
    public void setTimesteps(int n) {
        Checks.steps(n, config.numTrainTimesteps());
        int original = config.originalInferenceSteps();
        if (n > original) {
            throw new IllegalArgumentException("num_inference_steps " + n + " is larger than original_inference_steps "
                    + original + ": LCM timesteps are a subset of that schedule");
        }
        int k = config.numTrainTimesteps() / original;
        double[] indices = Spacing.linspace(0, original, n, false);
        timesteps = new double[n];
        for (int i = 0; i < n; i++) {
            int fromEnd = (int) Math.floor(indices[i]);
            timesteps[i] = (double) (original - fromEnd) * k - 1;
        }
        numInferenceSteps = n;
        stepIndex = -1;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
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
        if (numInferenceSteps == 0) {
            throw new IllegalStateException("LCM: call setTimesteps before step");
        }
        if (stepIndex < 0) {
            stepIndex = Timesteps.indexOf(timesteps, timestep);
            if (stepIndex < 0) {
                throw new IllegalArgumentException("LCM: timestep " + timestep + " is not in the schedule");
            }
        }
        if (stepIndex >= numInferenceSteps) {
            throw new IllegalStateException("LCM: the " + numInferenceSteps + "-step schedule is finished");
        }
        boolean last = stepIndex == numInferenceSteps - 1;
        if (!last && noise == null) {
            throw new IllegalArgumentException("LCM injects noise between steps: step needs a NoiseSource");
        }
        int t = Timesteps.trainStep(timestep, schedule.size());
        int prevT = stepIndex + 1 < timesteps.length ? (int) timesteps[stepIndex + 1] : t;
        float alphaProdT = schedule.alphaCumprod(t);
        float alphaProdTPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        float scaled = (float) t * (float) config.timestepScaling();
        float cSkip = SIGMA_DATA_SQ / (scaled * scaled + SIGMA_DATA_SQ);
        float cOut = scaled / (float) Math.sqrt(scaled * scaled + SIGMA_DATA_SQ);
        float sqrtAlpha = (float) Math.sqrt(alphaProdT);
        float sqrtBeta = (float) Math.sqrt(betaProdT);
        NDManager caller = sample.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(modelOutput, sample);
            NDArray predOriginal = switch (config.predictionType()) {
                case EPSILON -> sample.sub(modelOutput.mul(sqrtBeta)).div(sqrtAlpha);
                case SAMPLE -> modelOutput;
                case V_PREDICTION -> sample.mul(sqrtAlpha).sub(modelOutput.mul(sqrtBeta));
            };
            if (config.clipSample()) {
                float range = (float) config.clipSampleRange();
                predOriginal = predOriginal.clip(-range, range);
            }
            NDArray denoised = predOriginal.mul(cOut).add(sample.mul(cSkip));
            NDArray prev = last ? denoised
                    : denoised.mul((float) Math.sqrt(alphaProdTPrev))
                            .add(noise.randn(scope, modelOutput.getShape()).mul((float) Math.sqrt(betaProdTPrev)));
            stepIndex++;
            prev.attach(caller);
            if (prev != denoised) {
                denoised.attach(caller);
            }
            return new StepOutput(prev, denoised);
        }
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double timestep) {
        return Timesteps.addNoise(schedule, original, noise, Timesteps.trainStep(timestep, schedule.size()));
    }

    @Override
    public LcmScheduler copy() {
        return new LcmScheduler(this);
    }

    @Override
    public boolean integerTimesteps() {
        return true;
    }

    @Override
    public float[] sigmas() {
        return null;
    }
}
