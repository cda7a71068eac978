package org.mix4j.pipelines.chat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A conversation rendered for the language model.
 *
 * @param ids the prompt's token ids, image placeholders expanded to one id per image feature
 * @param keys what each position holds: its token id, or for an image position a negative number
 *     naming the image, so two prompts agree on a prefix only where they hold the same tokens and
 *     the same images
 * @param embeddings the input embeddings of the positions from a given one on
 */
public record ChatPrompt(long[] ids, long[] keys, Embeddings embeddings) {

    /** The input embeddings {@code [1, T - from, D]} of positions {@code from..T-1}, in {@code scope}. */
    @FunctionalInterface
    public interface Embeddings {
        NDArray from(int from, NDManager scope);
    }

    public ChatPrompt {
        if (ids.length != keys.length) {
            throw new IllegalArgumentException(ids.length + " ids but " + keys.length + " keys");
        }
    }

    public int length() {
        return ids.length;
    }
}
