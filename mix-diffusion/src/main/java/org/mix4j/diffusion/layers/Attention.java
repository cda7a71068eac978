package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
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
        // the 1/sqrt(d) scale goes on the queries once, not on every block of scores
        NDArray q = toQ.forward(x).muli(scale); // [B, N, H*D]
        NDArray k = toK.forward(source); // [B, M, H*D]
        NDArray v = toV.forward(source); // [B, M, H*D]
        long batch = q.getShape().get(0);
        long n = q.getShape().get(1);
        long m = k.getShape().get(1);
        NDArray merged = batch * heads * n * m <= maxScoreElements
                ? mergeHeads(attendChunk(splitHeads(q), splitHeads(k), splitHeads(v)), batch) // one product for all heads
                : attendByHead(q, k, v); // [B, N, H*D]
        return toOut.forward(merged);
    }

    private NDArray splitHeads(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, dimHead).transpose(0, 2, 1, 3)
                .reshape(s.get(0) * heads, s.get(1), dimHead); // [B*H, T, D]
    }

    private NDArray mergeHeads(NDArray attended, long batch) {
        long n = attended.getShape().get(1);
        return attended.reshape(batch, heads, n, dimHead).transpose(0, 2, 1, 3)
                .reshape(batch, n, (long) heads * dimHead); // [B, N, H*D]
    }

    /**
     * Large attention, one head of one image at a time, in blocks of query rows whose scores fit in
     * {@code maxScoreElements}. Each head's queries, keys and values are read in place as strided
     * views of the projections ({@code [N, D]} with a row stride of {@code H*D}, which the matrix
     * product takes as is), and each block's result is written straight into its place in the
     * {@code [B, N, H*D]} output: no head split or merge copies and no concatenation. The heads are
     * shared out over {@link TensorParallel}'s threads; every block is computed the same way whatever
     * the number of threads.
     */
    private NDArray attendByHead(NDArray q, NDArray k, NDArray v) {
        long batch = q.getShape().get(0);
        long n = q.getShape().get(1);
        long m = k.getShape().get(1);
        long rowsPerBlock = Math.max(1, Math.min(n, maxScoreElements / Math.max(1, m)));
        NDArray out = q.getManager().create(new Shape(batch, n, (long) heads * dimHead), q.getDataType());
        long pairs = batch * heads;
        long work = pairs * n * m * dimHead;
        int ways = (int) Math.min(work < MIN_SPLIT_MACS ? 1 : TensorParallel.ways(), pairs);
        TensorParallel.map(ways, part -> {
            for (long pair = pairs * part / ways; pair < pairs * (part + 1) / ways; pair++) {
                attendHead(q, k, v, out, pair / heads, pair % heads, rowsPerBlock);
            }
            return null;
        });
        return out;
    }

    private void attendHead(NDArray q, NDArray k, NDArray v, NDArray out, long b, long h, long rowsPerBlock) {
        long n = q.getShape().get(1);
        long from = h * dimHead;
        long to = from + dimHead;
        try (NDArray keysT = k.get(new NDIndex("{}, :, {}:{}", b, from, to)).transpose(); // [D, M] view
                NDArray values = v.get(new NDIndex("{}, :, {}:{}", b, from, to))) { // [M, D] view
            for (long r = 0; r < n; r += rowsPerBlock) {
                NDIndex block = new NDIndex("{}, {}:{}, {}:{}", b, r, Math.min(n, r + rowsPerBlock), from, to);
                try (NDArray queries = q.get(block); // [rows, D] view
                        NDArray scores = queries.matMul(keysT);
                        NDArray probabilities = scores.softmax(-1);
                        NDArray attended = probabilities.matMul(values)) { // [rows, D]
                    out.set(block, attended);
                }
            }
        }
    }

    private NDArray attendChunk(NDArray q, NDArray k, NDArray v) {
        try (NDArray scores = q.batchMatMul(k.transpose(0, 2, 1));
                NDArray probabilities = scores.softmax(-1)) {
            return probabilities.batchMatMul(v); // [b, N, D]
        }
    }
}
