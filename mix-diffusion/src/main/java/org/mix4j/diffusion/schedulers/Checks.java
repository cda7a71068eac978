package org.mix4j.diffusion.schedulers;

/** Config checks more than one scheduler shares. */
final class Checks {

    private Checks() {}

    static void noThresholding(boolean thresholding) {
        if (thresholding) {
            throw new IllegalArgumentException("thresholding: true (dynamic thresholding) is not supported; it is "
                    + "meant for pixel-space models, set thresholding: false");
        }
    }

    /** The sigma-ramp switches of Euler and DPM-Solver: Karras sigmas are implemented, the others not. */
    static void onlyKarrasSigmas(boolean exponential, boolean beta) {
        if (exponential) {
            throw new IllegalArgumentException("use_exponential_sigmas: true is not supported; use use_karras_sigmas "
                    + "or leave both false");
        }
        if (beta) {
            throw new IllegalArgumentException("use_beta_sigmas: true is not supported; use use_karras_sigmas "
                    + "or leave both false");
        }
    }

    static void steps(int numInferenceSteps, int numTrainTimesteps) {
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("num_inference_steps must be >= 1, got " + numInferenceSteps);
        }
        if (numInferenceSteps > numTrainTimesteps) {
            throw new IllegalArgumentException("num_inference_steps " + numInferenceSteps
                    + " is larger than num_train_timesteps " + numTrainTimesteps);
        }
    }
}
