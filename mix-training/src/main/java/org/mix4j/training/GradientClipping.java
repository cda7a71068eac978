package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Collection;

/** {@code torch.nn.utils.clip_grad_norm_}: the global L2 norm of all gradients, scaled down to a maximum. */
public final class GradientClipping {

    private GradientClipping() {}

    /**
     * Scales every gradient by {@code min(1, maxNorm / (norm + 1e-6))} and returns the norm before
     * scaling. {@code maxNorm <= 0} measures only.
     *
     * @throws IllegalStateException if a gradient holds NaN or infinity (say which step; nothing is scaled)
     */
    public static double clip(Collection<NDArray> parameters, double maxNorm) {
        if (parameters.isEmpty()) {
            return 0;
        }
        double squares;
        try (NDManager scope = parameters.iterator().next().getManager().newSubManager()) {
            // one scalar per tensor, summed in float64 and read once: no wait for the engine per tensor
            NDList sums = new NDList();
            for (NDArray p : parameters) {
                NDArray g = p.getGradient();
                g.attach(scope); // the gradient's handle and every temporary die with the scope
                sums.add(g.square().sum().toType(DataType.FLOAT64, false).reshape(1));
            }
            squares = (sums.size() == 1 ? sums.get(0) : NDArrays.concat(sums)).sum().getDouble();
        }
        double norm = Math.sqrt(squares);
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("the gradients hold NaN or infinity (norm " + norm + "): the loss or the "
                    + "weights are not finite; lower the learning rate or check the data");
        }
        if (maxNorm > 0) {
            double scale = Math.min(1.0, maxNorm / (norm + 1e-6));
            if (scale < 1.0) {
                for (NDArray p : parameters) {
                    try (NDArray g = p.getGradient()) {
                        g.muli(scale);
                    }
                }
            }
        }
        return norm;
    }

    /** Zeroes the gradients (without an optimizer step). */
    public static void zero(Collection<NDArray> parameters) {
        for (NDArray p : parameters) {
            try (NDArray g = p.getGradient()) {
                g.muli(0);
            }
        }
    }
}
