package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import org.mix4j.tensor.TensorParallel;

/**
 * Eager scaled dot-product attention as transformers computes it ({@code softmax(q k^T + mask) v},
 * the scale already folded into {@code q}), and the additive masks it takes.
 */
public final class Attention {

    /** Attention smaller than this (multiply-adds of one product) runs on one thread. */
    private static final long MIN_SPLIT_MACS = 1L << 22;

    private Attention() {}

    /**
     * @param q {@code [B, H, Tq, Dh]}, already multiplied by {@code 1/sqrt(Dh)}
     * @param k {@code [B, H, Tk, Dh]}
     * @param v {@code [B, H, Tk, Dh]}
     * @param mask additive mask broadcastable to {@code [B, H, Tq, Tk]}, or {@code null}
     * @return {@code [B, H, Tq, Dh]}
     */
    public static NDArray scaledDotProduct(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long heads = q.getShape().get(1);
        int ways = (int) Math.min(TensorParallel.ways(), heads);
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
        NDArray scores = q.matMul(k.swapAxes(2, 3)); // [B, H, Tq, Tk]
        if (mask != null) {
            scores = scores.addi(mask);
        }
        return scores.softmax(-1).matMul(v);
    }

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
    public static NDArray causalMask(NDManager manager, int length, DataType type) {
        NDArray positions = manager.arange(length); // [T]
        NDArray future = positions.reshape(1, length).gt(positions.reshape(length, 1)); // [T, T], key > query
        return future.toType(type, false).mul(maskValue(type)).reshape(1, 1, length, length);
    }

    /**
     * {@code [B, 1, 1, T]} from a {@code [B, T]} attention mask (1 = attend, 0 = padding): 0 where
     * attended, the mask value at padding.
     */
    public static NDArray paddingMask(NDArray attentionMask, DataType type) {
        long[] dims = attentionMask.getShape().getShape();
        NDArray padding = attentionMask.neq(1).toType(type, false); // [B, T], anything but 1 is padding
        return padding.mul(maskValue(type)).reshape(dims[0], 1, 1, dims[1]);
    }
}
