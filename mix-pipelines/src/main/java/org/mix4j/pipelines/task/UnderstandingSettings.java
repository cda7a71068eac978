package org.mix4j.pipelines.task;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * Top-level settings of {@code task: understanding}.
 *
 * @param promptTemplate plain template used instead of the chat template: {@code {prompt}} is the
 *     user text, {@code {image}} an image placeholder
 * @param imageToken the placeholder string in prompts ({@code <image>})
 * @param systemPrompt optional system message for chat templates
 * @param imageTokenId id the placeholder expands to; default: the checkpoint's
 *     {@code image_token_index}, else the tokenizer's id of {@code image_token}
 * @param encoderBatchSize tiles encoded per batch
 */
public record UnderstandingSettings(
        @OptionalKey DecodingSettings generation,
        @OptionalKey String promptTemplate,
        @Default("<image>") String imageToken,
        @OptionalKey Long imageTokenId,
        @OptionalKey String systemPrompt,
        @Default("8") int encoderBatchSize) {}
