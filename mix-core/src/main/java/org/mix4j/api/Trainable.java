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
     * A tensor fused at load time from several checkpoint tensors is either not listed, or listed under
     * a name of its own whose rows {@link #projections()} maps back to the checkpoint modules (CLIP's
     * {@code self_attn.qkv_proj.weight}: rows of {@code q_proj}, {@code k_proj}, {@code v_proj}); a writer
     * stores those rows under the modules' names.
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
