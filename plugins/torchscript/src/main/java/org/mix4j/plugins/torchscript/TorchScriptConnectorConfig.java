package org.mix4j.plugins.torchscript;

import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;

/**
 * {@code torchscript:connector}: a traced projector, {@code [B, N, Dv] -> [B, M, D]}.
 *
 * @param file the archive, relative to the component directory
 * @param outputSize {@code D}, the language model's width
 * @param inputSize {@code Dv}, checked before the module runs when given
 * @param outputTokens {@code M} when the module changes the token count (a resampler); unset:
 *     {@code M = N}, and the token grid is kept
 * @param input name of the module's input, for messages
 * @param output name of the module's output, for messages
 */
public record TorchScriptConnectorConfig(
        String file,
        int outputSize,
        @OptionalKey Integer inputSize,
        @OptionalKey Integer outputTokens,
        @Default("vision_features") String input,
        @Default("projected") String output) {

    public TorchScriptConnectorConfig {
        if (outputSize < 1 || (inputSize != null && inputSize < 1) || (outputTokens != null && outputTokens < 1)) {
            throw new IllegalArgumentException("output_size, input_size and output_tokens must be positive, got "
                    + outputSize + ", " + inputSize + ", " + outputTokens);
        }
    }
}
