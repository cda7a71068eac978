package org.mix4j.pipeline;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * Top-level settings of {@code task: understanding}.
 *
 * @param promptTemplate plain template used instead of the chat template: {@code {prompt}} is the
 *     user text, {@code {image}} an image placeholder
 * @param imageToken the placeholder string in prompts ({@code <image>})
 * @param systemPrompt optional system message for chat templates
 */
public record UnderstandingSettings(
        @OptionalKey GenerationSettings generation,
        @OptionalKey String promptTemplate,
        @Default("<image>") String imageToken,
        @OptionalKey String systemPrompt,
        @Default("8") int encoderBatchSize) {}
