package org.mix4j.diffusion.schedulers;

import java.util.List;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code scheduler_config.json} of diffusers' {@code EulerDiscreteScheduler}; defaults are that class's.
 *
 * @param interpolationType how inference sigmas are read off the training table; only {@code linear}
 * @param useKarrasSigmas Karras et al. (2022) sigma ramp between {@code sigma_min} and {@code sigma_max}
 * @param useExponentialSigmas only {@code false}
 * @param useBetaSigmas only {@code false}
 * @param sigmaMin lower end of the Karras ramp; default the schedule's smallest sigma
 * @param sigmaMax upper end of the Karras ramp; default the schedule's largest sigma
 * @param timestepType {@code discrete}, or {@code continuous} (with v-prediction: timesteps are
 *     {@code 0.25 * log(sigma)})
 */
public record EulerDiscreteConfig(
        @Default("1000") int numTrainTimesteps,
        @Default("0.0001") double betaStart,
        @Default("0.02") double betaEnd,
        @Default("linear") BetaSchedule betaSchedule,
        @OptionalKey List<Double> trainedBetas,
        @Default("epsilon") PredictionType predictionType,
        @Default("linear") String interpolationType,
        @Default("false") boolean useKarrasSigmas,
        @Default("false") boolean useExponentialSigmas,
        @Default("false") boolean useBetaSigmas,
        @OptionalKey Double sigmaMin,
        @OptionalKey Double sigmaMax,
        @Default("linspace") TimestepSpacing timestepSpacing,
        @Default("discrete") String timestepType,
        @Default("0") int stepsOffset,
        @Default("false") boolean rescaleBetasZeroSnr,
        @Default("zero") FinalSigmas finalSigmasType) implements TrainingSchedule {

    public EulerDiscreteConfig {
        trainedBetas = trainedBetas == null ? null : List.copyOf(trainedBetas);
        TrainingSchedule.validate(numTrainTimesteps, betaStart, betaEnd, trainedBetas);
        Checks.onlyKarrasSigmas(useExponentialSigmas, useBetaSigmas);
        if (!interpolationType.equals("linear")) {
            throw new IllegalArgumentException("interpolation_type '" + interpolationType
                    + "' is not supported (valid: linear)");
        }
        if (!timestepType.equals("discrete") && !timestepType.equals("continuous")) {
            throw new IllegalArgumentException("timestep_type must be discrete or continuous, got '" + timestepType + "'");
        }
        if (stepsOffset < 0) {
            throw new IllegalArgumentException("steps_offset must be >= 0, got " + stepsOffset);
        }
    }

    /** Whether timesteps are {@code 0.25 * log(sigma)} instead of training steps. */
    public boolean continuousTimesteps() {
        return timestepType.equals("continuous") && predictionType == PredictionType.V_PREDICTION;
    }
}
