package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.mix4j.tensor.TensorParallel;

/**
 * Eager scaled dot-product attention as transformers and diffusers compute it,
 * {@code softmax(q k^T + mask) v}, in three layouts: heads split out ({@link #scaledDotProduct}),
 * heads still side by side in the projections ({@link #perHead}), and grouped key/value heads
 * ({@link #grouped}). Large attentions are computed in blocks of heads or query rows and their heads
 * shared out over the threads of a {@link TensorParallel}; every output element is the same dot product
 * whatever the blocking. Masks are built by {@link AttentionMasks}.
 */
public final class Attention {

    /** Attention smaller than this (multiply-adds of one product) runs on one thread. */
    private static final long MIN_SPLIT_MACS = 1L << 22;

    /**
     * Score matrices larger than this (elements; 4 MiB in fp32) are computed a few heads or rows at a
     * time. A ViT-L/14 at 336 px has 577 tokens: all 16 heads of 8 images are 170 MB of scores; a
     * UNet's full [B*H, 4096, 4096] scores are 1 GiB. Written to fresh pages and read back they cost
     * more than the products themselves; blocks of this size are reused from the allocator and stay
     * in the last-level cache (docs/performance.md).
     */
    public static final long MAX_SCORE_ELEMENTS = 1L << 20;

    private Attention() {}

    /** {@code [B, T, H*D]} to {@code [B, H, T, D]}. */
    public static NDArray splitHeads(NDArray x, long heads, long headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3); // [B, H, T, D]
    }

    /** {@code [B, H, T, D]} to {@code [B, T, H*D]}. */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3)); // [B, T, H*D]
    }

    /**
     * @param q {@code [B, H, Tq, Dh]}, already multiplied by {@code 1/sqrt(Dh)}
     * @param k {@code [B, H, Tk, Dh]}
     * @param v {@code [B, H, Tk, Dh]}
     * @param mask additive mask broadcastable to {@code [B, H, Tq, Tk]}, or {@code null}
     * @param parallel threads the heads are shared out over
     * @return {@code [B, H, Tq, Dh]}
     */
    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v, NDArray mask, TensorParallel parallel) {
        long heads = q.getShape().get(1);
        int ways = (int) Math.min(parallel.ways(), heads);
        long work = q.getShape().get(0) * heads * q.getShape().get(2) * k.getShape().get(2) * q.getShape().get(3);
        if (ways < 2 || work < MIN_SPLIT_MACS) {
            return attend(q, k, v, mask);
        }
        // heads are independent: a group of them per thread
        NDArray[] groups = TensorParallel.map(ways, i -> {
            NDIndex range = new NDIndex(":, {}:{}", heads * i / ways, heads * (i + 1) / ways);
            NDArray m = mask == null || mask.getShape().get(1) == 1 ? mask : mask.get(range);
            return attend(q.get(range), k.get(range), v.get(range), m);
        });
        NDArray joined = NDArrays.concat(new NDList(groups), 1); // [B, H, Tq, Dh]
        for (NDArray g : groups) {
            g.close();
        }
        return joined;
    }

    private static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long batch = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long perHead = q.getShape().get(2) * k.getShape().get(2);
        if (batch * heads * perHead <= MAX_SCORE_ELEMENTS || (mask != null && mask.getShape().dimension() != 4)) {
            return attendBlock(q, k, v, mask);
        }
        // the same result a few heads of one image at a time: whole heads while several fit
        long headsPerBlock = Math.max(1, Math.min(heads, MAX_SCORE_ELEMENTS / perHead));
        NDList images = new NDList();
        for (long b = 0; b < batch; b++) {
            NDList blocks = new NDList();
            for (long h = 0; h < heads; h += headsPerBlock) {
                long end = Math.min(heads, h + headsPerBlock);
                NDIndex block = new NDIndex("{}:{}, {}:{}", b, b + 1, h, end); // [1, h, T, Dh] views
                blocks.add(attendBlock(q.get(block), k.get(block), v.get(block), maskBlock(mask, b, h, end)));
            }
            images.add(blocks.size() == 1 ? blocks.get(0) : NDArrays.concat(blocks, 1));
            if (blocks.size() > 1) {
                blocks.close();
            }
        }
        NDArray out = images.size() == 1 ? images.get(0) : NDArrays.concat(images, 0); // [B, H, Tq, Dh]
        if (images.size() > 1) {
            images.close();
        }
        return out;
    }

    /** The part of a {@code [B or 1, H or 1, Tq or 1, Tk]} mask that applies to image {@code b}, heads {@code h..end}. */
    private static NDArray maskBlock(NDArray mask, long b, long h, long end) {
        if (mask == null) {
            return null;
        }
        boolean perImage = mask.getShape().get(0) != 1;
        boolean perHead = mask.getShape().get(1) != 1;
        if (!perImage && !perHead) {
            return mask;
        }
        return mask.get(new NDIndex("{}:{}, {}:{}", perImage ? b : 0, perImage ? b + 1 : 1, perHead ? h : 0,
                perHead ? end : 1));
    }

    private static NDArray attendBlock(NDArray q, NDArray k, NDArray v, NDArray mask) {
        // scores and probabilities are the largest tensors of a layer: freed as soon as they are used
        try (NDArray scores = q.matMul(k.swapAxes(-2, -1))) { // [b, h, Tq, Tk]
            if (mask != null) {
                scores.addi(mask);
            }
            try (NDArray probabilities = scores.softmax(-1)) {
                return probabilities.matMul(v);
            }
        }
    }

    /**
     * Unmasked attention on projections whose heads are still side by side. Small attention splits
     * the heads out and runs {@link #scaledDotProduct}. Large attention runs one head of one image at
     * a time, in blocks of query rows whose scores fit in {@code maxScoreElements}: each head's
     * queries, keys and values are read in place as strided views ({@code [N, D]} with a row stride of
     * {@code H*D}, which the matrix product takes as is), and each block's result is written straight
     * into its place in the output, so there are no head split or merge copies and no concatenation.
     *
     * @param q {@code [B, N, H*D]}, already multiplied by {@code 1/sqrt(D)}
     * @param k {@code [B, M, H*D]}
     * @param v {@code [B, M, H*D]}
     * @param maxScoreElements the most score elements held at once ({@link #MAX_SCORE_ELEMENTS})
     * @param parallel threads the heads are shared out over
     * @return {@code [B, N, H*D]}
     */
    public static NDArray perHead(NDArray q, NDArray k, NDArray v, int heads, long maxScoreElements,
            TensorParallel parallel) {
        long batch = q.getShape().get(0);
        long n = q.getShape().get(1);
        long m = k.getShape().get(1);
        long dimHead = q.getShape().get(2) / heads;
        if (batch * heads * n * m <= maxScoreElements) { // one product for all heads
            return mergeHeads(scaledDotProduct(splitHeads(q, heads, dimHead), splitHeads(k, heads, dimHead),
                    splitHeads(v, heads, dimHead), null, parallel));
        }
        long rowsPerBlock = Math.max(1, Math.min(n, maxScoreElements / Math.max(1, m)));
        NDArray out = q.getManager().create(new Shape(batch, n, heads * dimHead), q.getDataType());
        long pairs = batch * heads;
        long work = pairs * n * m * dimHead;
        int ways = (int) Math.min(work < MIN_SPLIT_MACS ? 1 : parallel.ways(), pairs);
        TensorParallel.map(ways, part -> {
            for (long pair = pairs * part / ways; pair < pairs * (part + 1) / ways; pair++) {
                long b = pair / heads;
                long from = pair % heads * dimHead;
                attendHead(q, k, v, out, b, from, from + dimHead, rowsPerBlock);
            }
            return null;
        });
        return out;
    }

    private static void attendHead(NDArray q, NDArray k, NDArray v, NDArray out, long b, long from, long to,
            long rowsPerBlock) {
        long n = q.getShape().get(1);
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

    /**
     * Grouped-query attention (Ainslie et al. 2023) without repeating keys and values, as
     * transformers' {@code repeat_kv}: query head {@code h} reads key/value head {@code h / (H / Hkv)},
     * and the {@code H / Hkv} query heads of a group are laid out as extra query rows. Scores are
     * scaled by {@code 1/sqrt(D)} and the softmax runs in float32, as transformers upcasts it.
     *
     * @param q {@code [B, H, T, D]}
     * @param k {@code [B, Hkv, S, D]}
     * @param v {@code [B, Hkv, S, D]}
     * @param mask additive, {@code [B or 1, 1, 1, T or 1, S]} ({@link AttentionMasks#decoding}) or
     *     {@code [B or 1, 1, T or 1, S]} ({@link AttentionMasks#padding}); {@code null} for none
     * @return {@code [B, H, T, D]}
     */
    public static NDArray grouped(NDArray q, NDArray k, NDArray v, NDArray mask) {
        Shape qs = q.getShape();
        long b = qs.get(0);
        long h = qs.get(1);
        long t = qs.get(2);
        long d = qs.get(3);
        long kvH = k.getShape().get(1);
        long s = k.getShape().get(2);
        long groups = h / kvH;
        NDArray qg = q.reshape(b, kvH, groups * t, d); // [B, kvH, G*T, D]
        NDArray scores = Autograd.divi(qg.matMul(k.transpose(0, 1, 3, 2)), Math.sqrt(d)); // [B, kvH, G*T, S]
        if (scores.getDataType() != DataType.FLOAT32 && scores.getDataType() != DataType.FLOAT64) {
            scores = scores.toType(DataType.FLOAT32, false); // softmax in float32, as transformers upcasts it
        }
        scores = scores.reshape(b, kvH, groups, t, s); // [B, kvH, G, T, S]
        if (mask != null) {
            Shape ms = mask.getShape();
            scores.addi(ms.dimension() == 4 ? mask.reshape(ms.get(0), 1, 1, ms.get(2), ms.get(3)) : mask);
        }
        NDArray probs = scores.softmax(4).reshape(b, kvH, groups * t, s); // [B, kvH, G*T, S]
        if (probs.getDataType() != v.getDataType()) {
            probs = probs.toType(v.getDataType(), false);
        }
        return probs.matMul(v).reshape(b, h, t, d); // [B, H, T, D]
    }
}
