package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import org.mix4j.nn.Attention;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;
import org.mix4j.nn.Autograd;

/**
 * Multi-head attention as diffusers' {@code Attention} with the plain {@code AttnProcessor}:
 * {@code softmax(Q K^T / sqrt(d)) V} per head, then {@code to_out.0}. Keys and values come from a
 * context (cross-attention) or from the queries' own sequence (self-attention).
 */
public final class MultiHeadAttention {

    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final int heads;
    private final int dimHead;
    private final float scale;
    private final long maxScoreElements;
    private final TensorParallel parallel;

    public MultiHeadAttention(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads, int dimHead,
            TensorParallel parallel) {
        this(toQ, toK, toV, toOut, heads, dimHead, Attention.MAX_SCORE_ELEMENTS, parallel);
    }

    private MultiHeadAttention(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads, int dimHead,
            long maxScoreElements, TensorParallel parallel) {
        this.maxScoreElements = maxScoreElements;
        this.parallel = parallel;
        this.toQ = toQ;
        this.toK = toK;
        this.toV = toV;
        this.toOut = toOut;
        this.heads = heads;
        this.dimHead = dimHead;
        this.scale = (float) (1.0 / Math.sqrt(dimHead));
    }

    /**
     * Loads {@code to_q}, {@code to_k}, {@code to_v} (bias only when {@code qkvBias}) and
     * {@code to_out.0} (with bias) under {@code prefix}.
     *
     * @param contextDim width of the keys' source: {@code queryDim} for self-attention
     */
    public static MultiHeadAttention load(Weights weights, String prefix, long queryDim, long contextDim, int heads,
            int dimHead, boolean qkvBias, TensorParallel parallel) {
        long inner = (long) heads * dimHead;
        return new MultiHeadAttention(
                Linear.load(weights, prefix + "to_q", queryDim, inner, qkvBias, parallel),
                Linear.load(weights, prefix + "to_k", contextDim, inner, qkvBias, parallel),
                Linear.load(weights, prefix + "to_v", contextDim, inner, qkvBias, parallel),
                Linear.load(weights, prefix + "to_out.0", inner, queryDim, true, parallel),
                heads, dimHead, parallel);
    }

    /** The same attention with another limit on the score matrix held at once (tests of the chunked path). */
    MultiHeadAttention withMaxScoreElements(long elements) {
        return new MultiHeadAttention(toQ, toK, toV, toOut, heads, dimHead, elements, parallel);
    }

    /** Puts {@code to_q}, {@code to_k}, {@code to_v} and {@code to_out.0}'s tensors under {@code prefix} into {@code out}. */
    public void parameters(String prefix, java.util.Map<String, NDArray> out) {
        toQ.parameters(prefix + "to_q", out);
        toK.parameters(prefix + "to_k", out);
        toV.parameters(prefix + "to_v", out);
        toOut.parameters(prefix + "to_out.0", out);
    }

    /**
     * @param x {@code [B, N, queryDim]}
     * @param context {@code [B, M, contextDim]}, or {@code null} for self-attention
     * @return {@code [B, N, queryDim]}
     */
    public NDArray forward(NDArray x, NDArray context) {
        NDArray source = context == null ? x : context;
        // the 1/sqrt(d) scale goes on the queries once, not on every block of scores
        NDArray q = Autograd.muli(toQ.forward(x), scale); // [B, N, H*D]
        NDArray k = toK.forward(source); // [B, M, H*D]
        NDArray v = toV.forward(source); // [B, M, H*D]
        return toOut.forward(Attention.perHead(q, k, v, heads, maxScoreElements, parallel)); // [B, N, queryDim]
    }
}
