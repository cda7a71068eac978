package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The additive masks {@link Attention} takes: 0 where attending is allowed and the most negative
 * finite value of the dtype elsewhere (never -inf, so a fully masked row cannot produce NaN).
 */
public final class AttentionMasks {

    private AttentionMasks() {}

    /**
     * The most negative finite value of {@code type}: what transformers fills masked scores with
     * ({@code torch.finfo(dtype).min}), so that two masks added together overflow to -inf exactly
     * as they do there.
     */
    public static float maskValue(DataType type) {
        return switch (type) {
            case FLOAT16 -> -65504f;
            case BFLOAT16 -> -3.3895314e38f;
            default -> -Float.MAX_VALUE;
        };
    }

    /** {@code [1, 1, T, T]}: 0 on and below the diagonal, the mask value above it. */
    public static NDArray causal(NDManager manager, int length, DataType type) {
        NDArray positions = manager.arange(length); // [T]
        NDArray future = positions.reshape(1, length).gt(positions.reshape(length, 1)); // [T, T], key > query
        return future.toType(type, false).mul(maskValue(type)).reshape(1, 1, length, length);
    }

    /**
     * {@code [B, 1, 1, T]} from a {@code [B, T]} attention mask (1 = attend, anything else =
     * padding): 0 where attended, the mask value at padding.
     */
    public static NDArray padding(NDArray attentionMask, DataType type) {
        Shape s = attentionMask.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("attention mask must be [batch, seq], got " + s);
        }
        NDArray padding = attentionMask.neq(1).toType(type, false); // [B, T]
        return padding.mul(maskValue(type)).reshape(s.get(0), 1, 1, s.get(1));
    }

    /**
     * The mask for {@code t} new positions decoded after {@code past} cached ones:
     * {@code [B, 1, 1, T, S]} float32 with {@code S = past + t}. Query {@code i} sees cache slots
     * {@code <= past + i} that are not padding and, with a sliding window, lie less than
     * {@code window} slots back.
     *
     * @param attentionMask int64 {@code [B, S]} 1 = token, 0 = padding; {@code null} = no padding; or
     *     {@code [B, T, S]}, nonzero where query {@code i} may see key {@code j}, used as it is (packed
     *     samples: the caller keeps it causal and inside each sample; the sliding window is not applied)
     * @param slidingWindow 0 for none
     */
    public static NDArray decoding(NDManager manager, NDArray attentionMask, int batch, int past, int t,
            int slidingWindow) {
        int s = past + t;
        if (attentionMask != null && attentionMask.getShape().dimension() == 3) {
            if (!attentionMask.getShape().equals(new Shape(batch, t, s))) {
                throw new IllegalArgumentException("a per-query attention mask must be [" + batch + ", " + t + ", " + s
                        + "], got " + attentionMask.getShape());
            }
            NDArray allowed = attentionMask.neq(0).reshape(batch, 1, 1, t, s);
            return allowed.toType(DataType.FLOAT32, false).subi(1).muli(Float.MAX_VALUE);
        }
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
}
