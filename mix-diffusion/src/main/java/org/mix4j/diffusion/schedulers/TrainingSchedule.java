package org.mix4j.diffusion.schedulers;

import java.util.List;

/**
 * The keys every scheduler config shares that define the training noise schedule. Each config
 * record implements this through its components of the same names.
 */
public interface TrainingSchedule {

    int numTrainTimesteps();

    double betaStart();

    double betaEnd();

    BetaSchedule betaSchedule();

    /** Explicit betas that replace {@code beta_schedule}; {@code null} when absent. */
    List<Double> trainedBetas();

    boolean rescaleBetasZeroSnr();

    /**
     * The checks every config runs in its compact constructor (which sees its parameters, not yet
     * its fields, hence the arguments).
     */
    static void validate(int numTrainTimesteps, double betaStart, double betaEnd, List<Double> trainedBetas) {
        if (numTrainTimesteps < 2) {
            throw new IllegalArgumentException("num_train_timesteps must be >= 2, got " + numTrainTimesteps);
        }
        if (trainedBetas != null && trainedBetas.size() != numTrainTimesteps) {
            throw new IllegalArgumentException("trained_betas has " + trainedBetas.size()
                    + " values but num_train_timesteps is " + numTrainTimesteps);
        }
        if (trainedBetas == null && !(betaStart >= 0 && betaStart < 1 && betaEnd > 0 && betaEnd < 1)) {
            throw new IllegalArgumentException("beta_start must lie in [0, 1) and beta_end in (0, 1), got "
                    + betaStart + " and " + betaEnd);
        }
    }
}
