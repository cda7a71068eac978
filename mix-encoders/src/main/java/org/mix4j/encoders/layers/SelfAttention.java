package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import org.mix4j.nn.Attention;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * Multi-head self-attention with the CLIP/SigLIP checkpoint layout: {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code out_proj}, all with biases. The three input projections are fused into one
 * {@code [D, 3D]} matrix at load, with the {@code 1/sqrt(head_dim)} scale folded into the query part,
 * so a forward is one matmul for q, k and v.
 */
public final class SelfAttention {

    private final int numHeads;
    private final int headDim;
    private final Linear qkv;
    private final Linear outProj;
    private final TensorParallel parallel;

    /** Loads {@code prefix + "q_proj"} ... {@code prefix + "out_proj"}, each {@code [hidden, hidden]}. */
    public SelfAttention(Weights weights, String prefix, int hidden, int numHeads, TensorParallel parallel) {
        this.numHeads = numHeads;
        this.parallel = parallel;
        this.headDim = hidden / numHeads;
        double scale = 1.0 / Math.sqrt(headDim);
        Shape square = new Shape(hidden, hidden);
        Shape vector = new Shape(hidden);
        NDArray qw = weights.get(prefix + "q_proj.weight", square);
        NDArray qb = weights.get(prefix + "q_proj.bias", vector);
        NDArray kw = weights.get(prefix + "k_proj.weight", square);
        NDArray kb = weights.get(prefix + "k_proj.bias", vector);
        NDArray vw = weights.get(prefix + "v_proj.weight", square);
        NDArray vb = weights.get(prefix + "v_proj.bias", vector);
        NDArray qwScaled = qw.mul(scale);
        NDArray qbScaled = qb.mul(scale);
        NDArray fusedWeight = NDArrays.concat(new NDList(qwScaled, kw, vw), 0); // [3D, D]
        NDArray fusedBias = NDArrays.concat(new NDList(qbScaled, kb, vb), 0); // [3D]
        new NDList(qw, qb, kw, kb, vw, vb, qwScaled, qbScaled).close();
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
        NDArray context = Attention.scaledDotProduct(heads.get(0), heads.get(1), heads.get(2), mask, parallel);
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, length, (long) numHeads * headDim); // [B, T, D]
        return outProj.forward(merged);
    }
}
