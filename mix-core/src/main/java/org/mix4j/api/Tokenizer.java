package org.mix4j.api;

import java.util.List;
import java.util.OptionalLong;

/** Text to token ids and back. */
public interface Tokenizer {

    /** Ids of {@code text}, with the special tokens the tokenizer's own rules add. */
    long[] encode(String text);

    /** Ids of {@code text} without any added special tokens. */
    long[] encodeRaw(String text);

    /** Text of {@code ids}; special tokens are skipped when {@code skipSpecialTokens}. */
    String decode(long[] ids, boolean skipSpecialTokens);

    /** Id of a literal token string, if the vocabulary has it. */
    OptionalLong tokenId(String token);

    /**
     * Encodes a batch padded or truncated to {@code maxLength}, as the diffusion pipelines need.
     */
    TokenizedBatch encodeBatch(List<String> texts, int maxLength);

    /** Token ids and attention masks, {@code [B][T]}. */
    record TokenizedBatch(long[][] ids, long[][] attentionMask) {}
}
