package org.mix4j.llm.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention as transformers' eager path computes it:
 * {@code softmax(Q K^T / sqrt(d) + mask) V} in float32, where masked scores get the most negative
 * float (never -inf, so a fully masked row cannot produce NaN).
 */
public final class Attention {

    private Attention() {}

    /**
     * The additive mask for {@code t} new positions written after {@code past} cached ones:
     * {@code [B, 1, 1, T, S]} with {@code S = past + t}, 0 where attending is allowed and the
     * minimum float elsewhere. Query {@code i} sees cache slots {@code <= past + i} that are not
     * padding and, with a sliding window, lie less than {@code window} slots back.
     *
     * @param attentionMask int64 {@code [B, S]} 1 = token, 0 = padding; {@code null} = no padding
     * @param slidingWindow 0 for none
     */
    public static NDArray causalMask(NDManager manager, NDArray attentionMask, int batch, int past, int t,
            int slidingWindow) {
        int s = past + t;
        NDArray queries = manager.arange(past, s).expandDims(1); // [T, 1]
        NDArray keys = manager.arange(0, s).expandDims(0); // [1, S]
        NDArray allowed = keys.lte(queries); // [T, S]
        if (slidingWindow > 0) {
            allowed = allowed.logicalAnd(keys.gt(queries.sub(slidingWindow)));
        }
        allowed = allowed.reshape(1, 1, 1, t, s); // [1, 1, 1, T, S]
        if (attentionMask != null) {
            if (!attentionMask.getShape().equals(new Shape(batch, s))) {
                throw new IllegalArgumentException("attention mask has shape " + attentionMask.getShape()
                        + " but " + batch + " rows of " + past + " cached + " + t + " new positions need ["
                        + batch + ", " + s + "]");
            }
            NDArray notPad = attentionMask.neq(0).reshape(batch, 1, 1, 1, s); // [B, 1, 1, 1, S]
            allowed = allowed.logicalAnd(notPad); // [B, 1, 1, T, S]
        }
        // allowed -> 0, masked -> -FLOAT_MAX (torch.finfo(float32).min)
        return allowed.toType(DataType.FLOAT32, false).subi(1).muli(Float.MAX_VALUE);
    }

    /**
     * Grouped-query attention (Ainslie et al. 2023) without repeating keys and values: the
     * {@code H / kvH} query heads that share a key/value head are laid out as extra query rows.
     *
     * @param q {@code [B, H, T, D]} rotated queries
     * @param k {@code [B, kvH, S, D]} all keys (cache included)
     * @param v {@code [B, kvH, S, D]}
     * @param mask {@code [B or 1, 1, 1, T, S]} from {@link #causalMask}
     * @return {@code [B, T, H * D]}
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
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).divi((float) Math.sqrt(d)); // [B, kvH, G*T, S]
        if (scores.getDataType() != DataType.FLOAT32) { // softmax in float32, as transformers upcasts it
            scores = scores.toType(DataType.FLOAT32, false);
        }
        scores = scores.reshape(b, kvH, groups, t, s).addi(mask); // [B, kvH, G, T, S]
        NDArray probs = scores.softmax(4).reshape(b, kvH, groups * t, s); // [B, kvH, G*T, S]
        if (probs.getDataType() != v.getDataType()) {
            probs = probs.toType(v.getDataType(), false);
        }
        NDArray out = probs.matMul(v); // [B, kvH, G*T, D]
        return out.reshape(b, h, t, d).transpose(0, 2, 1, 3).reshape(b, t, h * d); // [B, T, H*D]
    }
}
