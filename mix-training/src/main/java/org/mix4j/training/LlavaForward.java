package org.mix4j.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mix4j.api.LanguageModel;
import org.mix4j.pipelines.understanding.ImageSplice;
import org.mix4j.pipelines.understanding.VisionStack;

/**
 * The training forward of an understanding model: images through the vision stack (encoder and
 * connector), their features spliced in at the image tokens of each row, the language model's
 * logits for every position. Differentiable wherever a tensor on the way requires a gradient.
 */
public final class LlavaForward {

    private final VisionStack vision;
    private final LanguageModel llm;
    private final long imageToken;

    public LlavaForward(VisionStack vision, LanguageModel llm, long imageToken) {
        this.vision = vision;
        this.llm = llm;
        this.imageToken = imageToken;
    }

    /**
     * Logits {@code [B, T, V]}.
     *
     * @param pixelValues {@code [N, 3, H, W]}: the images of all rows in order, or {@code null}
     * @param ids {@code [B, T]} token ids, one image token per feature of its image
     * @param mask {@code [B, T]} (1 = token, 0 = padding) or {@code [B, T, T]} (packed rows: who sees whom)
     * @param positions {@code [B, T]}
     */
    public NDArray logits(NDArray pixelValues, NDArray ids, NDArray mask, NDArray positions, NDManager m) {
        List<NDArray> features = new ArrayList<>();
        if (pixelValues != null) {
            NDArray projected = vision.project(pixelValues, null, m); // [N, M, D]
            for (int i = 0; i < projected.getShape().get(0); i++) {
                features.add(projected.get(i));
            }
        }
        int rows = (int) ids.getShape().get(0);
        NDList embeds = new NDList();
        int next = 0;
        for (int r = 0; r < rows; r++) {
            long[] row = ids.get(r).toLongArray();
            long tokens = Arrays.stream(row).filter(t -> t == imageToken).count();
            List<NDArray> mine = new ArrayList<>();
            for (long placed = 0; placed < tokens; next++) {
                if (next >= features.size()) {
                    throw new IllegalArgumentException("row " + r + " has more image tokens than the images give features");
                }
                mine.add(features.get(next));
                placed += features.get(next).getShape().get(0);
            }
            embeds.add(ImageSplice.embed(llm, row, imageToken, mine, m).expandDims(0));
        }
        if (next != features.size()) {
            throw new IllegalArgumentException(features.size() + " images but the rows' image tokens take " + next);
        }
        NDArray batch = embeds.size() == 1 ? embeds.get(0) : NDArrays.concat(embeds, 0);
        return llm.forward(batch, positions, mask, null).logits();
    }

    /** {@code cumsum(mask) - 1} clamped at 0: the positions of left- or right-padded rows. */
    public static NDArray positions(NDArray mask) {
        return mask.cumSum(1).sub(1).maximum(0);
    }

    /**
     * The {@code [B, T, T]} mask of packed rows: position {@code i} sees {@code j} when both belong
     * to the same sample and {@code j <= i}.
     *
     * @param sequenceIds {@code [B, T]} which sample each position belongs to
     */
    public static NDArray packedMask(NDArray sequenceIds) {
        long t = sequenceIds.getShape().get(1);
        NDManager m = sequenceIds.getManager();
        NDArray same = sequenceIds.expandDims(2).eq(sequenceIds.expandDims(1)); // [B, T, T]
        NDArray causal = m.arange(t).expandDims(0).lte(m.arange(t).expandDims(1)); // [T, T] key <= query
        return same.logicalAnd(causal.expandDims(0)).toType(ai.djl.ndarray.types.DataType.INT64, false);
    }
}
