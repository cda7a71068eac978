package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.mix4j.api.NoiseSource;
import org.mix4j.api.StepOutput;

/**
 * Denoising diffusion implicit models: Song, Meng and Ermon, "Denoising Diffusion Implicit Models"
 * (2020), eqs. 12 and 16; behaviour of diffusers 0.31 {@code DDIMScheduler}. The step keeps no
 * state: the previous timestep is {@code t - num_train_timesteps // num_inference_steps}.
 *
 * <p>Scalar coefficients are computed in float32 and applied as float32 tensor operations in the
 * reference's order, so results agree with diffusers to float32 rounding.
 */
public final class DdimScheduler implements DiffusersScheduler {

    private final DdimConfig config;
    private final NoiseSchedule schedule;
    private final float finalAlphaCumprod;
    private double[] timesteps;
    private int numInferenceSteps;

    public DdimScheduler(DdimConfig config) {
        this(config, NoiseSchedule.of(config));
    }

    private DdimScheduler(DdimConfig config, NoiseSchedule schedule) {
        this.config = config;
        this.schedule = schedule;
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : schedule.alphaCumprod(0);
        this.timesteps = Timesteps.allTrainingSteps(config.numTrainTimesteps());
    }

    public DdimConfig config() {
        return config;
    }

    public NoiseSchedule noiseSchedule() {
        return schedule;
    }

    @Override
    public void setTimesteps(int n) {
        Checks.steps(n, config.numTrainTimesteps());
        timesteps = Timesteps.discrete(config.timestepSpacing(), config.numTrainTimesteps(), n, config.stepsOffset());
        numInferenceSteps = n;
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
            throw new IllegalStateException("DDIM: call setTimesteps before step");
        }
        int t = Timesteps.trainStep(timestep, schedule.size());
        int prevT = t - config.numTrainTimesteps() / numInferenceSteps;
        float alphaProdT = schedule.alphaCumprod(t);
        float alphaProdTPrev = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        float betaProdT = 1f - alphaProdT;
        float sqrtAlpha = (float) Math.sqrt(alphaProdT);
        float sqrtBeta = (float) Math.sqrt(betaProdT);
        NDManager caller = sample.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(modelOutput, sample);
            NDArray predOriginal;
            NDArray predEpsilon;
            switch (config.predictionType()) {
                case EPSILON -> {
                    predOriginal = sample.sub(modelOutput.mul(sqrtBeta)).div(sqrtAlpha);
                    predEpsilon = modelOutput;
                }
                case SAMPLE -> {
                    predOriginal = modelOutput.duplicate();
                    predEpsilon = sample.sub(predOriginal.mul(sqrtAlpha)).div(sqrtBeta);
                }
                case V_PREDICTION -> {
                    predOriginal = sample.mul(sqrtAlpha).sub(modelOutput.mul(sqrtBeta));
                    predEpsilon = modelOutput.mul(sqrtAlpha).add(sample.mul(sqrtBeta));
                }
                default -> throw new IllegalStateException(config.predictionType().toString());
            }
            if (config.clipSample()) {
                float range = (float) config.clipSampleRange();
                predOriginal = predOriginal.clip(-range, range);
            }
            float stdDev = (float) config.eta() * (float) Math.sqrt(variance(alphaProdT, alphaProdTPrev));
            // 0 at eta 1 from a zero-SNR start (a_t = 0 gives sigma^2 = 1 - a_prev), where rounding can dip
            // below 0 and diffusers' (...) ** 0.5 turns NaN; clamped, every finite case is unchanged
            float direction = (float) Math.sqrt(Math.max(0f, 1f - alphaProdTPrev - stdDev * stdDev));
            NDArray prev = predOriginal.mul((float) Math.sqrt(alphaProdTPrev)).add(predEpsilon.mul(direction));
            if (config.eta() > 0) {
                if (noise == null) {
                    throw new IllegalArgumentException("DDIM with eta " + config.eta() + " needs a NoiseSource");
                }
                prev = prev.add(noise.randn(scope, modelOutput.getShape()).mul(stdDev));
            }
            prev.attach(caller);
            predOriginal.attach(caller);
            return new StepOutput(prev, predOriginal);
        }
    }

    /** Eq. 16: {@code (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)}, float32. */
    private static float variance(float alphaProdT, float alphaProdTPrev) {
        float betaProdT = 1f - alphaProdT;
        float betaProdTPrev = 1f - alphaProdTPrev;
        return (betaProdTPrev / betaProdT) * (1f - alphaProdT / alphaProdTPrev);
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, double timestep) {
        return Timesteps.addNoise(schedule, original, noise, Timesteps.trainStep(timestep, schedule.size()));
    }

    @Override
    public DdimScheduler copy() {
        DdimScheduler copy = new DdimScheduler(config, schedule);
        copy.timesteps = timesteps.clone();
        copy.numInferenceSteps = numInferenceSteps;
        return copy;
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
