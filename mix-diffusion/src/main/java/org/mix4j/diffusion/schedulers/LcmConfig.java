package org.mix4j.diffusion.schedulers;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code scheduler_config.json} of diffusers' {@code LCMScheduler}; defaults are that class's.
 * {@code timestep_spacing} and {@code steps_offset} are accepted but, as in diffusers, unused: LCM
 * picks its timesteps from the {@code original_inference_steps} distillation schedule.
 *
 * @param originalInferenceSteps length of the distillation (skipping-step) schedule
 * @param timestepScaling multiplies the timestep in the consistency boundary scalings c_skip, c_out
 */
public record LcmConfig(
        @Default("1000") int numTrainTimesteps,
        @Default("0.00085") double betaStart,
        @Default("0.012") double betaEnd,
        @Default("scaled_linear") BetaSchedule betaSchedule,
        @OptionalKey List<Double> trainedBetas,
        @Default("50") int originalInferenceSteps,
        @Default("false") boolean clipSample,
        @Default("1.0") double clipSampleRange,
        @Default("true") boolean setAlphaToOne,
        @Default("0") int stepsOffset,
        @Default("epsilon") PredictionType predictionType,
        @Default("false") boolean thresholding,
        @Default("0.995") double dynamicThresholdingRatio,
        @Default("1.0") double sampleMaxValue,
        @Default("leading") TimestepSpacing timestepSpacing,
        @Default("10.0") double timestepScaling,
        @Default("false") boolean rescaleBetasZeroSnr) implements TrainingSchedule {

    public LcmConfig {
        trainedBetas = trainedBetas == null ? null : List.copyOf(trainedBetas);
        TrainingSchedule.validate(numTrainTimesteps, betaStart, betaEnd, trainedBetas);
        Checks.noThresholding(thresholding);
        if (originalInferenceSteps < 1 || originalInferenceSteps > numTrainTimesteps) {
            throw new IllegalArgumentException("original_inference_steps must be in [1, num_train_timesteps="
                    + numTrainTimesteps + "], got " + originalInferenceSteps);
        }
        if (clipSampleRange <= 0) {
            throw new IllegalArgumentException("clip_sample_range must be > 0, got " + clipSampleRange);
        }
    }
}
