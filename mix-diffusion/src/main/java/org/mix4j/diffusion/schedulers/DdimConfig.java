package org.mix4j.diffusion.schedulers;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code scheduler_config.json} of diffusers' {@code DDIMScheduler}; defaults are that class's.
 * {@code eta} is not a diffusers config key (diffusers takes it per call): it is the mix4j way to
 * ask for DDIM's stochastic variant.
 *
 * @param thresholding dynamic thresholding (Imagen) is for pixel-space models; only {@code false}
 * @param dynamicThresholdingRatio accepted for compatibility; unused while thresholding is off
 * @param sampleMaxValue accepted for compatibility; unused while thresholding is off
 * @param eta DDIM's eta: 0 is deterministic DDIM, 1 is DDPM-like; draws from the step's NoiseSource
 */
public record DdimConfig(
        @Default("1000") int numTrainTimesteps,
        @Default("0.0001") double betaStart,
        @Default("0.02") double betaEnd,
        @Default("linear") BetaSchedule betaSchedule,
        @OptionalKey List<Double> trainedBetas,
        @Default("true") boolean clipSample,
        @Default("true") boolean setAlphaToOne,
        @Default("0") int stepsOffset,
        @Default("epsilon") PredictionType predictionType,
        @Default("false") boolean thresholding,
        @Default("0.995") double dynamicThresholdingRatio,
        @Default("1.0") double clipSampleRange,
        @Default("1.0") double sampleMaxValue,
        @Default("leading") TimestepSpacing timestepSpacing,
        @Default("false") boolean rescaleBetasZeroSnr,
        @Default("0.0") double eta) implements TrainingSchedule {

    public DdimConfig {
        trainedBetas = trainedBetas == null ? null : List.copyOf(trainedBetas);
        TrainingSchedule.validate(numTrainTimesteps, betaStart, betaEnd, trainedBetas);
        Checks.noThresholding(thresholding);
        if (stepsOffset < 0) {
            throw new IllegalArgumentException("steps_offset must be >= 0, got " + stepsOffset);
        }
        if (clipSampleRange <= 0) {
            throw new IllegalArgumentException("clip_sample_range must be > 0, got " + clipSampleRange);
        }
        if (eta < 0) {
            throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        }
    }
}
