package org.mix4j.connectors.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Eager multi-head attention pieces shared by the connectors: head split/merge, padding masks as
 * additive biases, and {@code softmax(q k^T * scale + bias) v} with grouped key/value heads.
 */
public final class Attention {

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
     * Padding mask to additive bias, as transformers builds it: 0 where {@code mask} is 1 and the
     * dtype's lowest finite value where it is 0.
     *
     * @param mask {@code [B, S]}, 1 = attend, any numeric dtype
     * @return {@code [B, 1, 1, S]}
     */
    public static NDArray paddingBias(NDArray mask, DataType dtype) {
        Shape s = mask.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("attention mask must be [batch, seq], got " + s);
        }
        NDArray m = mask.toType(dtype, false);
        return m.neg().add(1).mul(lowest(dtype)).reshape(s.get(0), 1, 1, s.get(1)); // [B, 1, 1, S]
    }

    /**
     * {@code softmax(q k^T * scale + bias) v}. Query head {@code h} reads key/value head
     * {@code h / (H / Hkv)}, as transformers' {@code repeat_kv}; the groups are folded into the
     * query axis instead of copying keys and values.
     *
     * @param q {@code [B, H, T, D]}
     * @param k {@code [B, Hkv, S, D]}
     * @param v {@code [B, Hkv, S, D]}
     * @param bias {@code [B, 1, 1, S]} or {@code null}
     * @return {@code [B, H, T, D]}
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, double scale) {
        Shape qs = q.getShape();
        long batch = qs.get(0);
        long heads = qs.get(1);
        long len = qs.get(2);
        long headDim = qs.get(3);
        long kvHeads = k.getShape().get(1);
        NDArray grouped = q.reshape(batch, kvHeads, heads / kvHeads * len, headDim); // [B, Hkv, G*T, D]
        NDArray scores = grouped.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // [B, Hkv, G*T, S]
        if (bias != null) {
            scores = scores.add(bias);
        }
        return scores.softmax(-1).matMul(v).reshape(batch, heads, len, headDim); // [B, H, T, D]
    }

    /** The most negative finite value of {@code dtype} (torch.finfo(dtype).min). */
    public static float lowest(DataType dtype) {
        return switch (dtype) {
            case FLOAT16 -> -65504f;
            case BFLOAT16 -> -3.3895314e38f;
            default -> -Float.MAX_VALUE;
        };
    }
}
