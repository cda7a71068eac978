package org.mix4j.api;

import ai.djl.ndarray.NDArray;

/**
 * Optional capability of a language model: a forward pass that projects only the last position
 * to the vocabulary. Prefill of a long prompt then needs {@code [B, 1, V]} logits instead of
 * {@code [B, T, V]}. The decoding loop uses it when the model has it.
 */
public interface LastTokenLogits {

    /** Same as {@code LanguageModel.forward}, but {@code logits} is {@code [B, 1, V]}. */
    LmOutput forwardLastToken(NDArray inputsEmbeds, NDArray positionIds, NDArray attentionMask, KvCache cache);
}
