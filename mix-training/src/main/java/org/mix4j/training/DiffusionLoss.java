package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.mix4j.api.Scheduler;

/** The text-to-image training objective: noise added by the training schedule, the prediction's mean squared error. */
public final class DiffusionLoss {

    /** The keys of a DDPM-family scheduler config that define the noise schedule (the rest is for sampling). */
    public static final List<String> SCHEDULE_KEYS = List.of("num_train_timesteps", "beta_start", "beta_end",
            "beta_schedule", "trained_betas", "rescale_betas_zero_snr");

    private DiffusionLoss() {}

    /**
     * {@code scheduler.addNoise} with a timestep per sample.
     *
     * @param latents {@code [B, C, h, w]}
     * @param timesteps {@code [B]}
     */
    public static NDArray addNoise(Scheduler scheduler, NDArray latents, NDArray noise, NDArray timesteps) {
        long b = latents.getShape().get(0);
        if (timesteps.getShape().size() != b) {
            throw new IllegalArgumentException(b + " latents but " + timesteps.getShape().size() + " timesteps");
        }
        double[] t = timesteps.toType(DataType.FLOAT64, false).toDoubleArray();
        NDList rows = new NDList();
        for (int i = 0; i < b; i++) {
            rows.add(scheduler.addNoise(latents.get(i).expandDims(0), noise.get(i).expandDims(0), t[i]));
        }
        return rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0);
    }

    /**
     * The v-prediction target (Salimans and Ho, "Progressive Distillation", 2022; diffusers'
     * {@code get_velocity}): {@code v = alpha_t * noise - sigma_t * latents} with
     * {@code alpha_t = sqrt(acp[t])}, {@code sigma_t = sqrt(1 - acp[t])}. {@code addNoise(x, n, t)}
     * is {@code alpha_t x + sigma_t n}, so v is {@code addNoise(noise, -latents, t)}: the scheduler's
     * own schedule, no second copy of it.
     *
     * @param latents {@code [B, C, h, w]} clean latents
     * @param timesteps {@code [B]}
     */
    public static NDArray velocity(Scheduler scheduler, NDArray latents, NDArray noise, NDArray timesteps) {
        return addNoise(scheduler, noise, latents.neg(), timesteps);
    }

    /**
     * The signal-to-noise ratio {@code acp[t] / (1 - acp[t])} of every timestep {@code 0 .. timesteps - 1}
     * of the training schedule, read through {@link Scheduler#addNoise} ({@code alpha_t} is the noised
     * value of a clean 1, {@code sigma_t} that of pure noise 1).
     */
    public static double[] snr(Scheduler scheduler, int timesteps, NDManager scope) {
        double[] snr = new double[timesteps];
        try (NDManager m = scope.newSubManager()) {
            NDArray one = m.ones(new ai.djl.ndarray.types.Shape(1, 1, 1, 1));
            NDArray zero = m.zeros(one.getShape());
            for (int t = 0; t < timesteps; t++) {
                double alpha = scheduler.addNoise(one, zero, t).getFloat();
                double sigma = scheduler.addNoise(zero, one, t).getFloat();
                snr[t] = alpha * alpha / (sigma * sigma);
            }
        }
        return snr;
    }

    /** {@code mean((prediction - target)^2)} in float32, as {@code F.mse_loss(pred.float(), target.float())}. */
    public static NDArray mse(NDArray prediction, NDArray target) {
        NDArray p = prediction.getDataType() == DataType.FLOAT32 ? prediction : prediction.toType(DataType.FLOAT32, false);
        NDArray t = target.getDataType() == DataType.FLOAT32 ? target : target.toType(DataType.FLOAT32, false);
        return p.sub(t).square().mean();
    }
}
