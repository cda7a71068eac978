package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.mix4j.api.Trainable.Projection;
import org.mix4j.nn.Activation;
import org.mix4j.nn.LayerNorm;
import org.mix4j.nn.Scopes;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * The pre-norm transformer encoder layer shared by CLIP (vision and text) and SigLIP, with their
 * checkpoint names: {@code layer_norm1}, {@code self_attn}, {@code layer_norm2}, {@code mlp}.
 * Each forward runs in its own child scope, so a deep encoder keeps only one layer's temporaries.
 */
public final class EncoderLayer {

    private final LayerNorm layerNorm1;
    private final SelfAttention selfAttn;
    private final LayerNorm layerNorm2;
    private final Mlp mlp;

    /** Loads the layer under {@code prefix} (e.g. {@code vision_model.encoder.layers.3.}). */
    public EncoderLayer(Weights weights, String prefix, int hidden, int intermediate, int numHeads, double eps,
            Activation activation, TensorParallel parallel) {
        this.layerNorm1 = LayerNorm.load(weights, prefix + "layer_norm1", hidden, eps);
        this.selfAttn = new SelfAttention(weights, prefix + "self_attn.", hidden, numHeads, parallel);
        this.layerNorm2 = LayerNorm.load(weights, prefix + "layer_norm2", hidden, eps);
        this.mlp = new Mlp(weights, prefix + "mlp.", hidden, intermediate, activation, parallel);
    }

    /**
     * @param x {@code [B, T, D]}
     * @param mask additive attention mask or {@code null}
     * @return {@code [B, T, D]}, attached to {@code x}'s manager
     */
    /** The layer's tensors under {@code prefix} (q/k/v as views of the fused matrix, see {@link SelfAttention}). */
    public void parameters(String prefix, Map<String, NDArray> out) {
        layerNorm1.parameters(prefix + "layer_norm1", out);
        selfAttn.parameters(prefix + "self_attn.", out);
        layerNorm2.parameters(prefix + "layer_norm2", out);
        mlp.parameters(prefix + "mlp.", out);
    }

    public void projections(String prefix, Map<String, Projection> out) {
        selfAttn.projections(prefix + "self_attn.", out);
        mlp.projections(prefix + "mlp.", out);
    }

    public NDArray forward(NDArray x, NDArray mask) {
        return Scopes.child(x, h -> {
            NDArray attended = h.add(selfAttn.forward(layerNorm1.forward(h), mask));
            return attended.add(mlp.forward(layerNorm2.forward(attended)));
        });
    }
}
