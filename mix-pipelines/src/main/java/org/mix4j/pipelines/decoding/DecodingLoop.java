package org.mix4j.pipelines.decoding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.LastTokenLogits;
import org.mix4j.api.LmOutput;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * Autoregressive generation on top of any {@link LanguageModel}, as transformers'
 * {@code generate()} does it: one prefill pass over the (left-padded) prompts into a KV cache,
 * then one token per row per step. Position ids are {@code cumsum(mask) - 1} (1 at padding), so a
 * left-padded row generates exactly what it would alone. Rows that finished are fed the first
 * stop id until every row is done. Each step runs in its own child manager; only the cache,
 * allocated once, outlives a step, so memory does not grow with the number of steps.
 */
public final class DecodingLoop {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final NDManager manager;

    /**
     * @param tokenizer decodes text for stop strings and streaming; {@code null} for ids only
     * @param manager parent of every array a generation creates; freed when it returns
     */
    public DecodingLoop(LanguageModel model, Tokenizer tokenizer, NDManager manager) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.manager = manager;
    }

    /** Generates a continuation of each prompt (batched, left-padded). */
    public DecodeResult generate(List<long[]> prompts, DecodingSettings settings, TextStreamer streamer) {
        return generate(prompts, settings, streamer, NOT_CANCELLED);
    }

    /**
     * {@link #generate(List, DecodingSettings, TextStreamer)} that stops early when asked.
     *
     * @param cancelled polled after each token; when it answers true the unfinished rows end as
     *     {@link DecodeResult.FinishReason#CANCELLED}
     */
    public DecodeResult generate(List<long[]> prompts, DecodingSettings settings, TextStreamer streamer,
            BooleanSupplier cancelled) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to generate from");
        }
        int b = prompts.size();
        int length = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (prompts.stream().anyMatch(p -> p.length == 0)) {
            throw new IllegalArgumentException("a prompt has no tokens; generation needs at least one");
        }
        long[] padded = new long[b * length];
        long[][] mask = new long[b][length];
        for (int r = 0; r < b; r++) {
            long[] p = prompts.get(r);
            int offset = length - p.length;
            System.arraycopy(p, 0, padded, r * length + offset, p.length);
            Arrays.fill(mask[r], offset, length, 1);
        }
        return run(step -> model.embed(step.create(padded, new Shape(b, length))), mask, prompts, settings, streamer,
                cancelled);
    }

    /**
     * Generates from ready input embeddings (a multimodal prompt with image features spliced in).
     *
     * @param inputsEmbeds {@code [B, T, D]}, rows left-padded
     * @param attentionMask {@code [B][T]}, 0 at padding
     * @param promptIds per row the ids the repetition penalty should count, or {@code null}
     */
    public DecodeResult generate(NDArray inputsEmbeds, long[][] attentionMask, List<long[]> promptIds,
            DecodingSettings settings, TextStreamer streamer) {
        return generate(inputsEmbeds, attentionMask, promptIds, settings, streamer, NOT_CANCELLED);
    }

    /** {@link #generate(NDArray, long[][], List, DecodingSettings, TextStreamer)} that stops early when asked. */
    public DecodeResult generate(NDArray inputsEmbeds, long[][] attentionMask, List<long[]> promptIds,
            DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled) {
        return run(step -> inputsEmbeds, attentionMask, promptIds, settings, streamer, cancelled);
    }

    private DecodeResult run(Function<NDManager, NDArray> prefillEmbeds, long[][] promptMask,
            List<long[]> promptIds, DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled) {
        checkStopIds(settings);
        DecodeBatch batch = new DecodeBatch(promptMask, promptIds, settings, tokenizer);
        int promptLength = promptMask[0].length;
        checkContext(promptLength);
        int maxNew = room(settings, model.maxPositions() - promptLength);
        if (maxNew <= 0) {
            return batch.result(0, 0, 0, 0);
        }
        try (NDManager run = manager.newSubManager();
                KvCache cache = model.newCache(run, batch.size(), promptLength + maxNew)) {
            return decode(cache, batch, 0, prefillEmbeds, maxNew, settings, streamer, cancelled, run);
        }
    }

    /**
     * Continues one sequence whose first {@code cache.length()} positions the cache already holds:
     * prefills the rest of the prompt, then decodes. What is decoded (all but the last token
     * chosen) stays in the cache.
     *
     * @param promptIds the whole prompt's ids, for the repetition penalty and the result's counts
     * @param suffixEmbeds the embeddings {@code [1, T - cache.length(), D]} of the positions the
     *     cache does not hold
     * @param cancelled polled after each token; when it answers true the row ends as
     *     {@link DecodeResult.FinishReason#CANCELLED}
     */
    public DecodeResult continueSequence(KvCache cache, long[] promptIds, Function<NDManager, NDArray> suffixEmbeds,
            DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled) {
        int past = cache.length();
        if (past >= promptIds.length) {
            throw new IllegalArgumentException("the cache holds " + past + " positions but the prompt has only "
                    + promptIds.length + "; at least one must be new");
        }
        long[][] mask = new long[1][promptIds.length];
        Arrays.fill(mask[0], 1);
        checkStopIds(settings);
        DecodeBatch batch = new DecodeBatch(mask, List.of(promptIds), settings, tokenizer);
        checkContext(promptIds.length);
        int maxNew = room(settings, Math.min(model.maxPositions(), cache.capacity()) - promptIds.length);
        if (maxNew <= 0) {
            return batch.result(past, 0, 0, 0);
        }
        try (NDManager run = manager.newSubManager()) {
            return decode(cache, batch, past, suffixEmbeds, maxNew, settings, streamer, cancelled, run);
        }
    }

    private static final BooleanSupplier NOT_CANCELLED = () -> false;

    /** {@code max_new_tokens} capped to the positions left, in long arithmetic so no value overflows. */
    static int room(DecodingSettings settings, int left) {
        return (int) Math.min((long) settings.maxNewTokens(), (long) left);
    }

    /** A stop id the model can never produce would let every row run to the limit unnoticed. */
    void checkStopIds(DecodingSettings settings) {
        int vocab = model.vocabSize();
        for (long id : settings.eosTokenId()) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("eos_token_id " + id + " is outside the model's vocabulary of "
                        + vocab + " tokens (ids 0 to " + (vocab - 1) + ")");
            }
        }
    }

    private void checkContext(int promptLength) {
        if (promptLength > model.maxPositions()) {
            throw new IllegalArgumentException("prompt of " + promptLength + " tokens is longer than the model's context of "
                    + model.maxPositions() + " positions");
        }
    }

    private DecodeResult decode(KvCache cache, DecodeBatch batch, int past, Function<NDManager, NDArray> prefillEmbeds,
            int maxNew, DecodingSettings settings, TextStreamer streamer, BooleanSupplier cancelled, NDManager run) {
        LogitsSampler sampler = new LogitsSampler(settings);
        long start = System.nanoTime();
        long prefillNanos;
        int steps = 0;
        float[][] logits;
        try (NDManager step = run.newSubManager()) {
            logits = lastLogits(prefillEmbeds.apply(step), batch.prefillPositions(step, past), batch.mask(step), cache);
        }
        prefillNanos = System.nanoTime() - start;
        while (true) {
            long[] next = batch.choose(logits, sampler, maxNew, streamer);
            if (!batch.allFinished() && cancelled.getAsBoolean()) {
                batch.cancel();
            }
            if (batch.allFinished()) {
                break;
            }
            try (NDManager step = run.newSubManager()) {
                NDArray positions = batch.extend(step); // one more column of mask, [B, 1] positions
                NDArray embeds = model.embed(step.create(next, new Shape(next.length, 1)));
                logits = lastLogits(embeds, positions, batch.mask(step), cache);
            }
            steps++;
        }
        batch.flush(streamer);
        return batch.result(past, prefillNanos, System.nanoTime() - start - prefillNanos, steps);
    }

    /** The last position's logits of every row, {@code [B][V]}. */
    float[][] lastLogits(NDArray embeds, NDArray positions, NDArray mask, KvCache cache) {
        LmOutput out = model instanceof LastTokenLogits last ? last.forwardLastToken(embeds, positions, mask, cache)
                : model.forward(embeds, positions, mask, cache);
        NDArray logits = out.logits();
        long b = logits.getShape().get(0);
        long v = logits.getShape().get(2);
        float[] flat = logits.get(new NDIndex(":, -1, :")).toFloatArray(); // [B * V]
        float[][] rows = new float[(int) b][];
        for (int r = 0; r < b; r++) {
            rows[r] = Arrays.copyOfRange(flat, (int) (r * v), (int) ((r + 1) * v));
        }
        return rows;
    }
}
