package org.mix4j.pipelines.decoding;

import java.util.List;

/**
 * What a generation produced, per batch row, and how long it took.
 *
 * @param tokens new token ids per row (a stop id that ended the row included)
 * @param texts decoded new text per row, special tokens skipped, cut before a stop string; empty
 *     strings when generating without a tokenizer
 * @param finishReasons why each row ended
 * @param promptTokens real (unpadded) prompt positions over all rows
 * @param reusedPromptTokens of those, the positions a kept KV cache already held (a conversation's
 *     earlier turns), so the prefill did not compute them
 * @param prefillNanos time of the prompt's forward pass
 * @param decodeNanos time of all later steps
 * @param decodeSteps forward passes after the prefill
 */
public record DecodeResult(List<long[]> tokens, List<String> texts, List<FinishReason> finishReasons,
        int promptTokens, int reusedPromptTokens, long prefillNanos, long decodeNanos, int decodeSteps) {

    /** Why a row stopped: a stop id, a stop string, the token limit, or the caller cancelled it. */
    public enum FinishReason { STOP_TOKEN, STOP_STRING, LENGTH, CANCELLED }

    /** Prompt positions the prefill computed. */
    public int prefilledTokens() {
        return promptTokens - reusedPromptTokens;
    }

    /** New tokens over all rows. */
    public int generatedTokens() {
        return tokens.stream().mapToInt(t -> t.length).sum();
    }

    /** Prompt positions computed per second of prefill. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : prefilledTokens() / (prefillNanos / 1e9);
    }

    /** Generated tokens per second of decoding (one token per row per step). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : decodeSteps * (double) tokens.size() / (decodeNanos / 1e9);
    }
}
