package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import org.mix4j.api.Scheduler;

/** The text-to-image training objective: noise added by the training schedule, the prediction's mean squared error. */
public final class DiffusionLoss {

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

    /** {@code mean((prediction - target)^2)} in float32, as {@code F.mse_loss(pred.float(), target.float())}. */
    public static NDArray mse(NDArray prediction, NDArray target) {
        NDArray p = prediction.getDataType() == DataType.FLOAT32 ? prediction : prediction.toType(DataType.FLOAT32, false);
        NDArray t = target.getDataType() == DataType.FLOAT32 ? target : target.toType(DataType.FLOAT32, false);
        return p.sub(t).square().mean();
    }
}
