package org.mix4j.pipelines.decoding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.decoding.DecodeResult.FinishReason;
import org.mix4j.pipelines.task.DecodingSettings;

/** Per-row bookkeeping: mask, positions, generated ids, stop checks, text. */
final class DecodeBatch {
    private final int size;
    private final List<long[]> promptIds;
    private final DecodingSettings settings;
    private final Set<Long> stopIds;
    private final long filler;
    private final List<long[]> maskRows = new ArrayList<>();
    private final int[] nextPosition;
    private final List<List<Long>> generated = new ArrayList<>();
    private final FinishReason[] reasons;
    private final StreamDecoder[] decoders;
    private int length;

    DecodeBatch(long[][] mask, List<long[]> promptIds, DecodingSettings settings, Tokenizer tokenizer) {
        this.size = mask.length;
        this.promptIds = promptIds;
        this.settings = settings;
        this.stopIds = new HashSet<>(settings.eosTokenId());
        this.filler = settings.eosTokenId().isEmpty() ? 0 : settings.eosTokenId().get(0);
        this.length = mask[0].length;
        this.nextPosition = new int[size];
        this.reasons = new FinishReason[size];
        this.decoders = new StreamDecoder[size];
        for (int r = 0; r < size; r++) {
            if (mask[r].length != length) {
                throw new IllegalArgumentException("attention mask rows differ in length");
            }
            maskRows.add(mask[r]);
            nextPosition[r] = (int) Arrays.stream(mask[r]).sum();
            generated.add(new ArrayList<>());
            decoders[r] = tokenizer == null ? null : new StreamDecoder(tokenizer, settings.stop());
        }
    }

    int size() {
        return size;
    }

    NDArray mask(NDManager m) {
        long[] flat = new long[size * length];
        for (int r = 0; r < size; r++) {
            long[] row = maskRows.get(r);
            System.arraycopy(row, 0, flat, r * length, Math.min(row.length, length));
            for (int c = row.length; c < length; c++) {
                flat[r * length + c] = 1; // columns added while decoding
            }
        }
        return m.create(flat, new Shape(size, length));
    }

    /**
     * {@code cumsum(mask) - 1}, with 1 at padded positions (what transformers uses), of the columns
     * from {@code from} on (the earlier ones are already in the cache).
     */
    NDArray prefillPositions(NDManager m, int from) {
        int width = length - from;
        long[] flat = new long[size * width];
        for (int r = 0; r < size; r++) {
            long count = 0;
            for (int c = 0; c < length; c++) {
                long v = maskRows.get(r)[c];
                count += v;
                if (c >= from) {
                    flat[r * width + c - from] = v == 0 ? 1 : count - 1;
                }
            }
        }
        return m.create(flat, new Shape(size, width));
    }

    /** Adds the column of the token just chosen; returns its positions {@code [B, 1]}. */
    NDArray extend(NDManager m) {
        return m.create(extend(), new Shape(size, 1));
    }

    /** {@link #extend(NDManager)} as plain numbers: the position of each row's new column. */
    long[] extend() {
        length++;
        long[] positions = new long[size];
        for (int r = 0; r < size; r++) {
            positions[r] = nextPosition[r]++;
        }
        return positions;
    }

    long[] choose(float[][] logits, LogitsSampler sampler, int maxNew, TextStreamer streamer) {
        long[] next = new long[size];
        for (int r = 0; r < size; r++) {
            if (reasons[r] != null) {
                next[r] = filler;
                continue;
            }
            checkFinite(logits[r], r);
            long token = sampler.next(logits[r], seen(r));
            next[r] = token;
            generated.get(r).add(token);
            if (stopIds.contains(token)) {
                reasons[r] = FinishReason.STOP_TOKEN;
            } else if (decoders[r] != null) {
                String piece = decoders[r].push(token);
                if (!piece.isEmpty() && streamer != null) {
                    streamer.onText(r, piece);
                }
                if (decoders[r].stopped()) {
                    reasons[r] = FinishReason.STOP_STRING;
                }
            }
            if (reasons[r] == null && generated.get(r).size() >= maxNew) {
                reasons[r] = FinishReason.LENGTH;
            }
        }
        return next;
    }

    /**
     * NaN or +Inf in a row's logits (weights or inputs with non-finite values) would make every
     * comparison false and the sampler pick token 0 or nothing: an empty answer with no warning.
     */
    private void checkFinite(float[] row, int r) {
        for (int i = 0; i < row.length; i++) {
            if (Float.isNaN(row[i]) || row[i] == Float.POSITIVE_INFINITY) {
                throw new IllegalStateException("the model produced " + row[i] + " logits at step "
                        + generated.get(r).size() + (size > 1 ? " of row " + r : "") + " (token id " + i
                        + "); its weights or inputs contain non-finite values");
            }
        }
    }

    private long[] seen(int r) {
        if (settings.repetitionPenalty() == 1.0) {
            return null;
        }
        long[] prompt = promptIds == null ? new long[0] : promptIds.get(r);
        List<Long> gen = generated.get(r);
        long[] out = Arrays.copyOf(prompt, prompt.length + gen.size());
        for (int i = 0; i < gen.size(); i++) {
            out[prompt.length + i] = gen.get(i);
        }
        return out;
    }

    /** Ends every row still generating (the caller cancelled). */
    void cancel() {
        for (int r = 0; r < size; r++) {
            if (reasons[r] == null) {
                reasons[r] = FinishReason.CANCELLED;
            }
        }
    }

    boolean allFinished() {
        return Arrays.stream(reasons).allMatch(x -> x != null);
    }

    void flush(TextStreamer streamer) {
        for (int r = 0; r < size; r++) {
            if (decoders[r] != null) {
                String rest = decoders[r].flush();
                if (!rest.isEmpty() && streamer != null) {
                    streamer.onText(r, rest);
                }
            }
        }
    }

    DecodeResult result(int reused, long prefillNanos, long decodeNanos, int steps) {
        List<long[]> tokens = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        List<FinishReason> finish = new ArrayList<>();
        int promptTokens = 0;
        for (int r = 0; r < size; r++) {
            tokens.add(generated.get(r).stream().mapToLong(Long::longValue).toArray());
            texts.add(decoders[r] == null ? "" : decoders[r].text());
            finish.add(reasons[r] == null ? FinishReason.LENGTH : reasons[r]);
            promptTokens += (int) Arrays.stream(maskRows.get(r)).sum();
        }
        return new DecodeResult(tokens, texts, finish, promptTokens, reused, prefillNanos, decodeNanos, steps);
    }
}
