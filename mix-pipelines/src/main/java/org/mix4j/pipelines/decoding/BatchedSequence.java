package org.mix4j.pipelines.decoding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * One caller's sequence in a {@link DecodeScheduler}: its own bookkeeping (a {@link DecodeBatch}
 * of one row), sampler and limits, as {@link DecodingLoop} keeps them for a batch of one. The
 * scheduler's thread decodes it; the caller's thread receives its text and its result through a
 * queue, so a slow or vanished client never holds up the other rows.
 */
final class BatchedSequence {

    private final long[] promptIds;
    private final NDArray promptEmbeds; // the caller's, read by the prefill only; null: embed the ids
    private final DecodeBatch batch;
    private final LogitsSampler sampler;
    private final int maxNew;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>(); // text, then a result or an error
    private final TextStreamer toCaller = (row, text) -> events.add(text);
    private final BooleanSupplier caller; // whether the caller wants to stop: polled on the scheduler's thread too
    private volatile boolean cancelled;
    private NDManager prefillManager;
    private KvCache prefillCache;
    private long next;
    private int steps;
    private long start;
    private long prefillNanos;

    BatchedSequence(long[] promptIds, NDArray promptEmbeds, DecodingSettings settings, int maxNew, Tokenizer tokenizer,
            BooleanSupplier cancelled) {
        this.promptEmbeds = promptEmbeds;
        this.caller = cancelled;
        long[][] mask = new long[1][promptIds.length];
        Arrays.fill(mask[0], 1);
        this.promptIds = promptIds;
        this.batch = new DecodeBatch(mask, List.of(promptIds), settings, tokenizer);
        this.sampler = new LogitsSampler(settings);
        this.maxNew = maxNew;
    }

    /** Runs the prompt through the model into a cache of its own and chooses the first token. */
    void prefill(DecodingLoop loop, LanguageModel model, NDManager parent) {
        start = System.nanoTime();
        prefillManager = parent.newSubManager();
        try {
            prefillCache = model.newCache(prefillManager, 1, promptIds.length);
            float[][] logits;
            try (NDManager step = prefillManager.newSubManager()) {
                NDArray embeds;
                if (promptEmbeds != null) {
                    promptEmbeds.tempAttach(step); // what the prefill computes from it goes with the step
                    embeds = promptEmbeds;
                } else {
                    embeds = model.embed(step.create(promptIds, new Shape(1, promptIds.length)));
                }
                logits = loop.lastLogits(embeds,
                        batch.prefillPositions(step, 0), batch.mask(step), prefillCache);
            }
            prefillNanos = System.nanoTime() - start;
            choose(logits[0]);
        } catch (RuntimeException | Error e) {
            releasePrefill();
            throw e;
        }
        if (finished()) {
            releasePrefill();
        }
    }

    /** Takes a row of the batched cache: copies the prompt's keys and values there. */
    void join(CacheRows rows, int row) {
        try {
            rows.join(row, prefillCache);
        } finally {
            releasePrefill();
        }
    }

    private void releasePrefill() {
        if (prefillManager != null) {
            prefillManager.close(); // the prompt's cache with it
            prefillManager = null;
            prefillCache = null;
        }
    }

    long nextToken() {
        return next;
    }

    /** The position of the token about to be fed (and one more column in the row's own mask). */
    long extend() {
        return batch.extend()[0];
    }

    /** Picks the next token from this row's logits; ends the sequence on a stop, the limit or a cancel. */
    void choose(float[] logits) {
        if (prefillCache == null) {
            steps++; // a decode step, not the prefill
        }
        next = batch.choose(new float[][] {logits}, sampler, maxNew, toCaller)[0];
        if (!batch.allFinished() && (cancelled || caller.getAsBoolean())) {
            batch.cancel();
        }
    }

    boolean finished() {
        return batch.allFinished();
    }

    /** Sends the rest of the text and the result to the caller. */
    void finish(long now) {
        batch.flush(toCaller);
        events.add(batch.result(0, prefillNanos, now - start - prefillNanos, steps));
    }

    void fail(RuntimeException e) {
        releasePrefill();
        events.add(e);
    }

    /**
     * On the caller's thread: streams the text as it comes and returns the result; polls
     * {@code cancelled} after each piece too (the scheduler polls it after each token). An interrupt
     * cancels the sequence; the interrupt flag is set again on return.
     */
    DecodeResult await(TextStreamer streamer, BooleanSupplier cancelled) {
        boolean interrupted = false;
        try {
            return take(streamer, cancelled);
        } catch (InterruptedException e) {
            interrupted = true;
            this.cancelled = true;
            return await(null, () -> true);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private DecodeResult take(TextStreamer streamer, BooleanSupplier cancelled) throws InterruptedException {
        while (true) {
            Object event = events.take();
            if (event instanceof String text) {
                if (streamer != null) {
                    streamer.onText(0, text);
                }
                if (cancelled.getAsBoolean()) {
                    this.cancelled = true;
                }
            } else if (event instanceof DecodeResult result) {
                return result;
            } else if (event instanceof RuntimeException e) {
                throw e;
            }
        }
    }
}
