package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import java.util.OptionalInt;

/** A text tower (CLIP text): token ids to hidden states and a pooled embedding. */
public interface TextEncoder extends Component {

    /**
     * @param inputIds int64 {@code [B, T]}
     * @param attentionMask int64 {@code [B, T]}, 1 = attend, 0 = padding; may be {@code null}
     * @return {@code lastHiddenState [B, T, D]}, {@code pooled [B, D]}, {@code embeds [B, P]} or null
     */
    EncoderOutput encode(NDArray inputIds, NDArray attentionMask);

    /** Width of the hidden states. */
    int hiddenSize();

    /** Longest sequence the position embedding covers. */
    int maxPositions();

    /**
     * Number of token ids the embedding table holds, when the encoder knows it; pipelines that take
     * token ids from a user check them against it instead of failing inside the engine.
     */
    default OptionalInt vocabSize() {
        return OptionalInt.empty();
    }
}
