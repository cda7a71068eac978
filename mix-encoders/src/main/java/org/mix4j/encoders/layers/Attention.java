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

    /**
     * Score matrices larger than this (elements; 4 MiB in fp32) are computed a few heads at a time.
     * A ViT-L/14 at 336 px has 577 tokens: all 16 heads of 8 images are 170 MB of scores and as much
     * again of probabilities per layer, written to fresh pages and read back from memory; blocks of
     * this size are reused from the allocator and stay in the last-level cache.
     */
    static final long MAX_SCORE_ELEMENTS = 1L << 20;

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
        try (NDArray scores = q.matMul(k.swapAxes(2, 3))) { // [b, h, Tq, Tk]
            if (mask != null) {
                scores.addi(mask);
            }
            try (NDArray probabilities = scores.softmax(-1)) {
                return probabilities.matMul(v);
            }
        }
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
