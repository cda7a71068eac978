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
 * @param prefillNanos time of the prompt's forward pass
 * @param decodeNanos time of all later steps
 * @param decodeSteps forward passes after the prefill
 */
public record DecodeResult(List<long[]> tokens, List<String> texts, List<FinishReason> finishReasons,
        int promptTokens, long prefillNanos, long decodeNanos, int decodeSteps) {

    /** Why a row stopped. */
    public enum FinishReason { STOP_TOKEN, STOP_STRING, LENGTH }

    /** New tokens over all rows. */
    public int generatedTokens() {
        return tokens.stream().mapToInt(t -> t.length).sum();
    }

    /** Prompt positions per second of prefill. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens / (prefillNanos / 1e9);
    }

    /** Generated tokens per second of decoding (one token per row per step). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : decodeSteps * (double) tokens.size() / (decodeNanos / 1e9);
    }
}
