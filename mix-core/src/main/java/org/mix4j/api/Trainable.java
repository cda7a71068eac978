package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.mix4j.nn.Linear;

/**
 * A component whose tensors can be trained. Training marks some of them as requiring gradients,
 * runs the component's ordinary forward under autograd and updates them in place, so the
 * component must read these very tensors in its forward (not copies made at load time).
 */
public interface Trainable {

    /**
     * The parameters by the names they are stored under in the checkpoint, without the
     * component's {@code weights_prefix} ({@code linear_1.weight}, {@code model.layers.0.mlp.down_proj.weight}).
     * Tensors fused at load time (q/k/v, gate/up) are listed one by one, as views of the fused rows.
     */
    Map<String, NDArray> parameters();

    /**
     * The linear projections a low-rank adapter (LoRA) can be added to, by checkpoint module name
     * without the weights prefix ({@code model.layers.0.self_attn.q_proj}): the {@link Linear} that
     * computes it and which of its outputs are this module's (fused projections share one).
     */
    default Map<String, Projection> projections() {
        return Map.of();
    }

    /** Outputs {@code from .. to} of {@code linear} are one checkpoint module's. */
    record Projection(Linear linear, long from, long to) {}
}
