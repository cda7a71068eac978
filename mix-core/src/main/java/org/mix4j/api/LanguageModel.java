package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** A decoder-only language model. Generation is a separate class on top of it. */
public interface LanguageModel extends Component {

    /** Token embeddings: int64 {@code [B, T]} -> {@code [B, T, D]}. */
    NDArray embed(NDArray inputIds);

    /**
     * One forward pass over new positions, appending their keys and values to {@code cache}.
     *
     * @param inputsEmbeds {@code [B, T, D]}
     * @param positionIds int64 {@code [B, T]}
     * @param attentionMask int64 {@code [B, past + T]} 1 = attend, 0 = padding; {@code null} = all
     * @param cache the cache to read and extend, or {@code null} for a cache-less forward
     */
    LmOutput forward(NDArray inputsEmbeds, NDArray positionIds, NDArray attentionMask, KvCache cache);

    /** A cache for {@code batch} sequences of up to {@code capacity} positions. */
    KvCache newCache(NDManager manager, int batch, int capacity);

    int hiddenSize();

    int vocabSize();

    /** Longest context the model supports. */
    int maxPositions();
}
