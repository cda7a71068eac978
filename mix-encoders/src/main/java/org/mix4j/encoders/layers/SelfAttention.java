package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.mix4j.api.Trainable.Projection;
import org.mix4j.nn.Attention;
import org.mix4j.nn.Autograd;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * Multi-head self-attention with the CLIP/SigLIP checkpoint layout: {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code out_proj}, all with biases. The three input projections are fused into one
 * {@code [D, 3D]} matrix at load, so a forward is one matmul for q, k and v. The {@code 1/sqrt(head_dim)}
 * scale is applied to the queries after the product rather than folded into the weight, so that a
 * LoRA adapter on the {@code q_proj} rows is scaled as it is on {@code q_proj} in the reference.
 * The fused matrix is listed for training as {@code qkv_proj} (not a checkpoint name: writers store its
 * rows as q_proj/k_proj/v_proj, which {@link #projections} names), and each of q/k/v is a projection
 * LoRA can adapt.
 */
public final class SelfAttention {

    private final int numHeads;
    private final int headDim;
    private final double scale;
    private final Linear qkv;
    private final Linear outProj;
    private final TensorParallel parallel;

    /** Loads {@code prefix + "q_proj"} ... {@code prefix + "out_proj"}, each {@code [hidden, hidden]}. */
    public SelfAttention(Weights weights, String prefix, int hidden, int numHeads, TensorParallel parallel) {
        this.numHeads = numHeads;
        this.parallel = parallel;
        this.headDim = hidden / numHeads;
        this.scale = 1.0 / Math.sqrt(headDim);
        Shape square = new Shape(hidden, hidden);
        Shape vector = new Shape(hidden);
        NDArray qw = weights.get(prefix + "q_proj.weight", square);
        NDArray qb = weights.get(prefix + "q_proj.bias", vector);
        NDArray kw = weights.get(prefix + "k_proj.weight", square);
        NDArray kb = weights.get(prefix + "k_proj.bias", vector);
        NDArray vw = weights.get(prefix + "v_proj.weight", square);
        NDArray vb = weights.get(prefix + "v_proj.bias", vector);
        NDArray fusedWeight = NDArrays.concat(new NDList(qw, kw, vw), 0); // [3D, D]
        NDArray fusedBias = NDArrays.concat(new NDList(qb, kb, vb), 0); // [3D]
        new NDList(qw, qb, kw, kb, vw, vb).close();
        this.qkv = Linear.of(fusedWeight, fusedBias, parallel);
        this.outProj = Linear.load(weights, prefix + "out_proj", hidden, hidden, true, parallel);
    }

    /**
     * @param x {@code [B, T, D]}
     * @param mask additive mask broadcastable to {@code [B, H, T, T]}, or {@code null}
     * @return {@code [B, T, D]}
     */
    public NDArray forward(NDArray x, NDArray mask) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        NDArray heads = qkv.forward(x) // [B, T, 3D]
                .reshape(batch, length, 3, numHeads, headDim) // [B, T, 3, H, Dh]
                .transpose(2, 0, 3, 1, 4); // [3, B, H, T, Dh]
        NDArray queries = Autograd.mul(heads.get(0), scale); // [B, H, T, Dh]; a native scalar while training
        NDArray context = Attention.scaledDotProduct(queries, heads.get(1), heads.get(2), mask, parallel);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, (long) numHeads * headDim); // [B, T, D]
        return outProj.forward(merged);
    }

    /**
     * The fused q/k/v tensors as {@code qkv_proj.weight} {@code [3D, D]} and {@code qkv_proj.bias}
     * {@code [3D]} (rows q, k, v; see the class comment), then {@code out_proj}'s.
     */
    public void parameters(String prefix, Map<String, NDArray> out) {
        qkv.parameters(prefix + "qkv_proj", out);
        outProj.parameters(prefix + "out_proj", out);
    }

    /** {@code q_proj}, {@code k_proj}, {@code v_proj} (rows of the fused matrix) and {@code out_proj}. */
    public void projections(String prefix, Map<String, Projection> out) {
        long width = outProj.inFeatures();
        out.put(prefix + "q_proj", new Projection(qkv, 0, width));
        out.put(prefix + "k_proj", new Projection(qkv, width, 2 * width));
        out.put(prefix + "v_proj", new Projection(qkv, 2 * width, 3 * width));
        out.put(prefix + "out_proj", outProj.whole());
    }
}
