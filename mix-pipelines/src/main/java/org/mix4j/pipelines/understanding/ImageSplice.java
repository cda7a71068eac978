package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.LanguageModel;

/**
 * Puts image features where their placeholder tokens are: the placeholder of image {@code i} is
 * expanded to as many tokens as its features have, and those positions take the features in
 * order, as LLaVA does.
 */
public final class ImageSplice {

    private ImageSplice() {}

    /** {@code ids} with the {@code k}-th occurrence of {@code imageTokenId} repeated {@code counts[k]} times. */
    public static long[] expand(long[] ids, long imageTokenId, int[] counts) {
        int found = 0;
        List<Long> out = new ArrayList<>();
        for (long id : ids) {
            if (id == imageTokenId) {
                if (found >= counts.length) {
                    throw new IllegalArgumentException("the prompt has more image placeholders than images ("
                            + counts.length + ")");
                }
                for (int i = 0; i < counts[found]; i++) {
                    out.add(id);
                }
                found++;
            } else {
                out.add(id);
            }
        }
        if (found != counts.length) {
            throw new IllegalArgumentException("the prompt has " + found + " image placeholder(s) but " + counts.length
                    + " image(s) were given");
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Input embeddings of one expanded row: text positions from the token embedding, image
     * positions from {@code features} in order.
     *
     * @param features {@code [N_i, D]} per image, in prompt order
     * @return {@code [T, D]}
     */
    public static NDArray embed(LanguageModel llm, long[] ids, long imageTokenId, List<NDArray> features, NDManager m) {
        int t = ids.length;
        long[] textIds = new long[t];
        long[] gather = new long[t];
        int image = 0;
        for (int i = 0; i < t; i++) {
            boolean isImage = ids[i] == imageTokenId;
            textIds[i] = isImage ? 0 : ids[i]; // the placeholder id need not be a row of the embedding
            gather[i] = isImage ? t + image++ : i;
        }
        long available = features.stream().mapToLong(f -> f.getShape().get(0)).sum();
        if (available != image) {
            throw new IllegalArgumentException("image features (" + available + " tokens) and image placeholder tokens ("
                    + image + ") do not match");
        }
        NDArray text = llm.embed(m.create(textIds, new Shape(1, t))).get(0); // [T, D]
        if (image == 0) {
            return text;
        }
        NDList all = new NDList(text);
        features.forEach(f -> all.add(f.toType(text.getDataType(), false)));
        NDArray stacked = NDArrays.concat(all, 0); // [T + N, D]
        return stacked.get(new NDIndex("{}", m.create(gather)));
    }

    /** Rows left-padded with zeros to one length: {@code [B, T, D]}, and their attention masks. */
    public static NDArray leftPad(List<NDArray> rows, long[][] masksOut, NDManager m) {
        long longest = rows.stream().mapToLong(r -> r.getShape().get(0)).max().orElse(0);
        NDList padded = new NDList();
        for (int b = 0; b < rows.size(); b++) {
            NDArray r = rows.get(b);
            long len = r.getShape().get(0);
            masksOut[b] = new long[(int) longest];
            java.util.Arrays.fill(masksOut[b], (int) (longest - len), (int) longest, 1L);
            NDArray row = len == longest ? r
                    : m.zeros(new Shape(longest - len, r.getShape().get(1)), r.getDataType()).concat(r, 0);
            padded.add(row.expandDims(0));
        }
        return NDArrays.concat(padded, 0);
    }
}
