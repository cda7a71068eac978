package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.Weights;

/**
 * Multi-head attention as diffusers' {@code Attention} with the plain {@code AttnProcessor}:
 * {@code softmax(Q K^T / sqrt(d)) V} per head, then {@code to_out.0}. Keys and values come from a
 * context (cross-attention) or from the queries' own sequence (self-attention).
 */
public final class Attention {

    /**
     * Score matrices larger than this (elements; 4 MiB in fp32) are computed in blocks. Materialising
     * a UNet's full [B*H, 4096, 4096] scores (1 GiB) costs more in fresh pages and cache misses than
     * the products themselves; blocks of this size are reused from the allocator and mostly stay in
     * the last-level cache (docs/performance.md).
     */
    private static final long MAX_SCORE_ELEMENTS = 1L << 20;

    /** Attention smaller than this (multiply-adds of one product) runs on one thread. */
    private static final long MIN_SPLIT_MACS = 1L << 22;

    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final int heads;
    private final int dimHead;
    private final float scale;
    private final long maxScoreElements;

    public Attention(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads, int dimHead) {
        this(toQ, toK, toV, toOut, heads, dimHead, MAX_SCORE_ELEMENTS);
    }

    private Attention(Linear toQ, Linear toK, Linear toV, Linear toOut, int heads, int dimHead, long maxScoreElements) {
        this.maxScoreElements = maxScoreElements;
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
    public static Attention load(Weights weights, String prefix, long queryDim, long contextDim, int heads,
            int dimHead, boolean qkvBias) {
        long inner = (long) heads * dimHead;
        return new Attention(
                Linear.load(weights, prefix + "to_q", queryDim, inner, qkvBias),
                Linear.load(weights, prefix + "to_k", contextDim, inner, qkvBias),
                Linear.load(weights, prefix + "to_v", contextDim, inner, qkvBias),
                Linear.load(weights, prefix + "to_out.0", inner, queryDim, true),
                heads, dimHead);
    }

    /** The same attention with another limit on the score matrix held at once (tests of the chunked path). */
    Attention withMaxScoreElements(long elements) {
        return new Attention(toQ, toK, toV, toOut, heads, dimHead, elements);
    }

    /**
     * @param x {@code [B, N, queryDim]}
     * @param context {@code [B, M, contextDim]}, or {@code null} for self-attention
     * @return {@code [B, N, queryDim]}
     */
    public NDArray forward(NDArray x, NDArray context) {
        NDArray source = context == null ? x : context;
        long batch = x.getShape().get(0);
        // the 1/sqrt(d) scale goes on the queries once, not on every block of scores
        NDArray q = splitHeads(toQ.forward(x)).muli(scale); // [B*H, N, D]
        NDArray k = splitHeads(toK.forward(source)); // [B*H, M, D]
        NDArray v = splitHeads(toV.forward(source)); // [B*H, M, D]
        NDArray attended = attend(q, k, v); // [B*H, N, D]
        long n = attended.getShape().get(1);
        NDArray merged = attended.reshape(batch, heads, n, dimHead).transpose(0, 2, 1, 3)
                .reshape(batch, n, (long) heads * dimHead); // [B, N, H*D]
        return toOut.forward(merged);
    }

    private NDArray splitHeads(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, dimHead).transpose(0, 2, 1, 3)
                .reshape(s.get(0) * heads, s.get(1), dimHead); // [B*H, T, D]
    }

    private NDArray attend(NDArray q, NDArray k, NDArray v) {
        long bh = q.getShape().get(0);
        int ways = (int) Math.min(TensorParallel.ways(), bh);
        long work = bh * q.getShape().get(1) * k.getShape().get(1) * q.getShape().get(2);
        if (ways < 2 || work < MIN_SPLIT_MACS) {
            return attendHeads(q, k, v);
        }
        // heads are independent: a group of them per thread
        NDArray[] groups = TensorParallel.map(ways, i -> {
            NDIndex heads = new NDIndex("{}:{}", bh * i / ways, bh * (i + 1) / ways);
            return attendHeads(q.get(heads), k.get(heads), v.get(heads));
        });
        NDArray joined = NDArrays.concat(new NDList(groups), 0); // [B*H, N, D]
        for (NDArray g : groups) {
            g.close();
        }
        return joined;
    }

    private NDArray attendHeads(NDArray q, NDArray k, NDArray v) {
        long bh = q.getShape().get(0);
        long n = q.getShape().get(1);
        long m = k.getShape().get(1);
        if (bh * n * m <= maxScoreElements) {
            return attendChunk(q, k, v);
        }
        // the same result a block at a time: whole heads while several fit, else rows of one head,
        // so the scores and probabilities of a block stay small (cache-sized, no fresh pages)
        long headsPerBlock = Math.max(1, Math.min(bh, maxScoreElements / Math.max(1, n * m)));
        long rowsPerBlock = headsPerBlock > 1 ? n : Math.max(1, Math.min(n, maxScoreElements / Math.max(1, m)));
        List<NDArray> heads = new ArrayList<>();
        for (long h = 0; h < bh; h += headsPerBlock) {
            NDIndex headRange = new NDIndex("{}:{}", h, Math.min(bh, h + headsPerBlock));
            NDArray kh = k.get(headRange);
            NDArray vh = v.get(headRange);
            List<NDArray> rows = new ArrayList<>();
            for (long r = 0; r < n; r += rowsPerBlock) {
                NDIndex block = new NDIndex("{}:{}, {}:{}", h, Math.min(bh, h + headsPerBlock), r, Math.min(n, r + rowsPerBlock));
                rows.add(attendChunk(q.get(block), kh, vh)); // [h, rows, D]
            }
            heads.add(rows.size() == 1 ? rows.get(0) : NDArrays.concat(new NDList(rows), 1));
        }
        return heads.size() == 1 ? heads.get(0) : NDArrays.concat(new NDList(heads), 0); // [B*H, N, D]
    }

    private NDArray attendChunk(NDArray q, NDArray k, NDArray v) {
        // the [b, N, M] scores are the largest tensors of a UNet step: freed as soon as they are used
        try (NDArray scores = q.batchMatMul(k.transpose(0, 2, 1));
                NDArray probabilities = scores.softmax(-1)) {
            return probabilities.batchMatMul(v); // [b, N, D]
        }
    }
}
