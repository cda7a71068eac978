package org.mix4j.training.golden;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.mix4j.golden.GoldenCase;
import org.mix4j.nn.Autograd;
import org.mix4j.training.AdamW;
import org.mix4j.training.GradientClipping;
import org.mix4j.training.Parameters;

/**
 * The loop every training-step fixture describes: for each step, the loss of the same batch,
 * backward, the gradient norm before clipping, clipping, and an AdamW update at the step's rate
 * ({@code optimizer}, {@code lr_per_step}, {@code max_grad_norm}, {@code steps} of {@code case.json}).
 * Outputs {@code loss_step_k}, {@code grad_norm_step_k}, {@code grad.NAME} (step 0, before
 * clipping) and {@code param.NAME} (after the last step).
 */
final class TrainingSteps {

    private TrainingSteps() {}

    /** @param loss the scalar loss of the case's batch, computed in the given scope */
    static void run(GoldenCase c, Parameters params, Function<NDManager, NDArray> loss, Map<String, NDArray> out,
            NDManager m) {
        JsonObject opt = c.json().getAsJsonObject("optimizer");
        JsonArray betas = opt.getAsJsonArray("betas");
        JsonArray lrs = c.json().getAsJsonArray("lr_per_step");
        double maxNorm = c.json().get("max_grad_norm").getAsDouble();
        try (AdamW adamw = new AdamW(new AdamW.Settings(betas.get(0).getAsDouble(), betas.get(1).getAsDouble(),
                opt.get("eps").getAsDouble(), opt.get("weight_decay").getAsDouble()), m)) {
            for (int k = 0; k < c.json().get("steps").getAsInt(); k++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray value;
                    try (Autograd.Recording recording = Autograd.record()) {
                        value = loss.apply(step);
                        recording.backward(value);
                    }
                    out.put("loss_step_" + k, kept(value.stopGradient().reshape(1), m));
                    if (k == 0) {
                        params.trainable().forEach((name, p) -> out.put("grad." + name, gradient(p, m)));
                    }
                    double norm = GradientClipping.clip(params.trainable().values(), maxNorm);
                    out.put("grad_norm_step_" + k, m.create(new float[] {(float) norm}));
                    adamw.step(params.trainable(), lrs.get(k).getAsDouble(), Set.of());
                }
            }
        }
        params.trainable().forEach((name, p) -> out.put("param." + name, kept(p.stopGradient(), m)));
    }

    /** The gradient of {@code parameter}, copied into {@code m}. */
    static NDArray gradient(NDArray parameter, NDManager m) {
        try (NDArray g = parameter.getGradient()) {
            return kept(g, m);
        }
    }

    /** A copy of {@code value} in {@code m}: the arrays it comes from close with their step or component. */
    private static NDArray kept(NDArray value, NDManager m) {
        NDArray copy = value.duplicate();
        copy.attach(m);
        return copy;
    }
}
