package org.mix4j.pipelines.task;

import org.mix4j.config.OptionalKey;

/** Top-level settings of {@code task: text} (chat and one-shot generation). */
public record TextSettings(
        @OptionalKey DecodingSettings generation,
        @OptionalKey String promptTemplate,
        @OptionalKey String systemPrompt) {}
