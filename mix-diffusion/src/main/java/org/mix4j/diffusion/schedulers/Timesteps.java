package org.mix4j.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Inference timestep selection and the helpers the DDPM-family schedulers share. */
final class Timesteps {

    private Timesteps() {}

    /** {@code T-1, ..., 1, 0}: what diffusers schedulers hold before {@code set_timesteps}. */
    static double[] allTrainingSteps(int numTrainTimesteps) {
        double[] out = new double[numTrainTimesteps];
        for (int i = 0; i < numTrainTimesteps; i++) {
            out[i] = numTrainTimesteps - 1 - i;
        }
        return out;
    }

    /**
     * Whole-number timesteps, descending, as DDIM and Euler compute them for each spacing. Values are
     * whole numbers; Euler keeps them as float32.
     */
    static double[] discrete(TimestepSpacing spacing, int numTrainTimesteps, int n, int stepsOffset) {
        return switch (spacing) {
            case LINSPACE -> Spacing.reversed(Spacing.round(Spacing.linspace(0, numTrainTimesteps - 1, n, true)));
            case LEADING -> {
                int ratio = numTrainTimesteps / n;
                double[] out = new double[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (double) (n - 1 - i) * ratio + stepsOffset;
                }
                yield out;
            }
            case TRAILING -> {
                double[] out = Spacing.round(Spacing.arange(numTrainTimesteps, 0, -(double) numTrainTimesteps / n));
                for (int i = 0; i < out.length; i++) {
                    out[i] -= 1;
                }
                yield out;
            }
        };
    }

    /** The training step a timestep names, checked against the table. */
    static int trainStep(double timestep, int size) {
        if (timestep != Math.rint(timestep) || timestep < 0 || timestep >= size) {
            throw new IllegalArgumentException("timestep " + timestep + " is not a training step in [0, " + size
                    + "); pass the values of timesteps()");
        }
        return (int) timestep;
    }

    /** {@code sqrt(acp[t]) * original + sqrt(1 - acp[t]) * noise} in float32 (diffusers' DDPM-family add_noise). */
    static NDArray addNoise(NoiseSchedule schedule, NDArray original, NDArray noise, int t) {
        float alphaProd = schedule.alphaCumprod(t);
        float sqrtAlpha = (float) Math.sqrt(alphaProd);
        float sqrtOneMinus = (float) Math.sqrt(1f - alphaProd);
        NDManager caller = original.getManager();
        try (NDManager scope = caller.newSubManager()) {
            scope.tempAttachAll(original, noise);
            NDArray noisy = original.mul(sqrtAlpha).add(noise.mul(sqrtOneMinus));
            noisy.attach(caller);
            return noisy;
        }
    }

    /**
     * diffusers' {@code index_for_timestep}: the position of {@code timestep} in the schedule; the
     * second one when it occurs twice (so img2img starting mid-schedule does not skip a sigma).
     *
     * @return the index, or -1 when absent
     */
    static int indexOf(double[] schedule, double timestep) {
        int first = -1;
        for (int i = 0; i < schedule.length; i++) {
            if (schedule[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        return first;
    }
}
