package org.mix4j.diffusion.schedulers;

import java.util.List;
import java.util.Set;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code scheduler_config.json} of diffusers' {@code DPMSolverMultistepScheduler}; defaults are that
 * class's. Implemented: {@code algorithm_type: dpmsolver++} (diffusers maps {@code deis} to it),
 * {@code solver_order} 1 or 2, {@code solver_type} midpoint or heun (diffusers maps {@code logrho},
 * {@code bh1}, {@code bh2} to midpoint), Karras sigmas.
 *
 * @param lambdaMinClipped lower clip of log-SNR for the first timestep; text because diffusers
 *     writes {@code -Infinity}, which is not a JSON number ({@code -5.1}, {@code -Infinity}, {@code -.inf})
 * @param varianceType {@code learned} or {@code learned_range}: the model also outputs a variance and
 *     only its first 3 channels are the prediction; {@code null} otherwise
 * @param lowerOrderFinal use first/second order on the last steps when there are fewer than 15
 * @param eulerAtFinal first order on the very last step
 */
public record DpmSolverMultistepConfig(
        @Default("1000") int numTrainTimesteps,
        @Default("0.0001") double betaStart,
        @Default("0.02") double betaEnd,
        @Default("linear") BetaSchedule betaSchedule,
        @OptionalKey List<Double> trainedBetas,
        @Default("2") int solverOrder,
        @Default("epsilon") PredictionType predictionType,
        @Default("false") boolean thresholding,
        @Default("0.995") double dynamicThresholdingRatio,
        @Default("1.0") double sampleMaxValue,
        @Default("dpmsolver++") String algorithmType,
        @Default("midpoint") String solverType,
        @Default("true") boolean lowerOrderFinal,
        @Default("false") boolean eulerAtFinal,
        @Default("false") boolean useKarrasSigmas,
        @Default("false") boolean useExponentialSigmas,
        @Default("false") boolean useBetaSigmas,
        @Default("false") boolean useLuLambdas,
        @Default("zero") FinalSigmas finalSigmasType,
        @Default("-Infinity") String lambdaMinClipped,
        @OptionalKey String varianceType,
        @Default("linspace") TimestepSpacing timestepSpacing,
        @Default("0") int stepsOffset,
        @Default("false") boolean rescaleBetasZeroSnr) implements TrainingSchedule {

    private static final Set<String> MIDPOINT_ALIASES = Set.of("logrho", "bh1", "bh2");

    public DpmSolverMultistepConfig {
        trainedBetas = trainedBetas == null ? null : List.copyOf(trainedBetas);
        TrainingSchedule.validate(numTrainTimesteps, betaStart, betaEnd, trainedBetas);
        Checks.noThresholding(thresholding);
        Checks.onlyKarrasSigmas(useExponentialSigmas, useBetaSigmas);
        if (useLuLambdas) {
            throw new IllegalArgumentException("use_lu_lambdas: true is not supported; use use_karras_sigmas");
        }
        if (solverOrder != 1 && solverOrder != 2) {
            throw new IllegalArgumentException("solver_order " + solverOrder + " is not supported (valid: 1, 2)");
        }
        if (!algorithmType.equals("dpmsolver++") && !algorithmType.equals("deis")) {
            throw new IllegalArgumentException("algorithm_type '" + algorithmType + "' is not supported by "
                    + "dpm_solver_pp (valid: dpmsolver++, deis which diffusers maps to dpmsolver++)");
        }
        if (MIDPOINT_ALIASES.contains(solverType)) {
            solverType = "midpoint";
        }
        if (!solverType.equals("midpoint") && !solverType.equals("heun")) {
            throw new IllegalArgumentException("solver_type '" + solverType + "' is not supported (valid: midpoint, heun)");
        }
        if (varianceType != null && !varianceType.equals("learned") && !varianceType.equals("learned_range")) {
            throw new IllegalArgumentException("variance_type '" + varianceType
                    + "' is not supported (valid: learned, learned_range, or null)");
        }
        try {
            Double.parseDouble(lambdaMinClipped);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lambda_min_clipped must be a number or -Infinity, got '"
                    + lambdaMinClipped + "'");
        }
        if (stepsOffset < 0) {
            throw new IllegalArgumentException("steps_offset must be >= 0, got " + stepsOffset);
        }
    }

    /** {@code lambda_min_clipped} as a number. */
    public double lambdaMin() {
        return Double.parseDouble(lambdaMinClipped);
    }

    public boolean heun() {
        return solverType.equals("heun");
    }
}
