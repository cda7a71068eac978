package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * The causal language-model loss as transformers computes it: logits at position {@code t} predict
 * the label at {@code t + 1}; labels of {@code -100} (prompt, image and padding tokens) are not
 * targets. The sum and the target count are kept apart, so the mean over a batch split into
 * micro-batches is the sum of their sums over the sum of their counts: exactly the big batch's.
 */
public final class CausalLmLoss {

    /** Labels with this value are not predicted. */
    public static final long IGNORE = -100;

    private CausalLmLoss() {}

    /** Summed cross-entropy over the targets of {@code logits [B, T, V]} against {@code labels [B, T]}: a scalar. */
    public static NDArray sum(NDArray logits, NDArray labels) {
        return alignedSum(logits.get(new NDIndex(":, :-1, :")), labels.get(new NDIndex(":, 1:")));
    }

    /**
     * Summed cross-entropy of {@code logits [B, N, C]} against {@code labels [B, N]} (int64) at the same
     * positions, no shift; labels {@link #IGNORE} are not targets. The per-patch loss of
     * {@code patch_labels} is this.
     */
    public static NDArray alignedSum(NDArray logits, NDArray labels) {
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        NDArray valid = labels.neq(IGNORE);
        NDArray safe = labels.mul(valid.toType(DataType.INT64, false)).expandDims(-1); // -100 -> 0, masked below
        NDArray logp = logits.logSoftmax(-1).gather(safe, -1).squeeze(-1); // [B, N]
        return logp.mul(valid.toType(DataType.FLOAT32, false)).sum().neg();
    }

    /** How many labels of {@code labels [B, T]} are targets (after the shift). */
    public static long targets(NDArray labels) {
        try (NDArray target = labels.get(new NDIndex(":, 1:")); NDArray valid = target.neq(IGNORE);
                NDArray count = valid.sum()) {
            return count.toType(DataType.INT64, false).getLong();
        }
    }

    /** The mean over targets. */
    public static NDArray mean(NDArray logits, NDArray labels) {
        long n = targets(labels);
        if (n == 0) {
            throw new IllegalArgumentException("the batch has no target tokens (every label is -100)");
        }
        return org.mix4j.nn.Autograd.div(sum(logits, labels), n);
    }
}
