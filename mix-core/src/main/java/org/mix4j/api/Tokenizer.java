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

    /**
     * Longest token row the model behind this tokenizer takes ({@code model_max_length} of the
     * tokenizer config, 77 for CLIP), or {@link Integer#MAX_VALUE} when the tokenizer names none.
     * Pipelines that pad prompts to a fixed length pad to the shorter of this and the text
     * encoder's positions.
     */
    default int modelMaxLength() {
        return Integer.MAX_VALUE;
    }

    /** Id of a special token named in the tokenizer config ({@code eos_token}, {@code bos_token}, ...). */
    default OptionalLong specialId(String name) {
        return OptionalLong.empty();
    }

    /** Whether {@link #applyChatTemplate} can render conversations. */
    default boolean hasChatTemplate() {
        return false;
    }

    /**
     * Renders a conversation with the checkpoint's chat template.
     *
     * @param messages {@code role} and {@code content} (a string, or a list of parts such as
     *     {@code {"type": "image"}} and {@code {"type": "text", "text": ...}})
     */
    default String applyChatTemplate(List<java.util.Map<String, Object>> messages, boolean addGenerationPrompt) {
        throw new IllegalStateException("this tokenizer has no chat template; set 'prompt_template' in the pipeline YAML");
    }

    /** Token ids and attention masks, {@code [B][T]}. */
    record TokenizedBatch(long[][] ids, long[][] attentionMask) {}
}
