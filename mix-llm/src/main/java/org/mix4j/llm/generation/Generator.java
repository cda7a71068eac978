package org.mix4j.llm.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.LmOutput;
import org.mix4j.api.Tokenizer;
import org.mix4j.llm.generation.GenerationResult.FinishReason;
import org.mix4j.pipeline.GenerationSettings;

/**
 * Autoregressive generation on top of any {@link LanguageModel}, as transformers'
 * {@code generate()} does it: one prefill pass over the (left-padded) prompts into a KV cache,
 * then one token per row per step. Position ids are {@code cumsum(mask) - 1} (1 at padding), so a
 * left-padded row generates exactly what it would alone. Rows that finished are fed the first
 * stop id until every row is done. Each step runs in its own child manager; only the cache,
 * allocated once, outlives a step, so memory does not grow with the number of steps.
 */
public final class Generator {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final NDManager manager;

    /**
     * @param tokenizer decodes text for stop strings and streaming; {@code null} for ids only
     * @param manager parent of every array a generation creates; freed when it returns
     */
    public Generator(LanguageModel model, Tokenizer tokenizer, NDManager manager) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.manager = manager;
    }

    /** Generates a continuation of each prompt (batched, left-padded). */
    public GenerationResult generate(List<long[]> prompts, GenerationSettings settings, TextStreamer streamer) {
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
        return run(step -> model.embed(step.create(padded, new Shape(b, length))), mask, prompts, settings, streamer);
    }

    /**
     * Generates from ready input embeddings (a multimodal prompt with image features spliced in).
     *
     * @param inputsEmbeds {@code [B, T, D]}, rows left-padded
     * @param attentionMask {@code [B][T]}, 0 at padding
     * @param promptIds per row the ids the repetition penalty should count, or {@code null}
     */
    public GenerationResult generate(NDArray inputsEmbeds, long[][] attentionMask, List<long[]> promptIds,
            GenerationSettings settings, TextStreamer streamer) {
        return run(step -> inputsEmbeds, attentionMask, promptIds, settings, streamer);
    }

    private GenerationResult run(Function<NDManager, NDArray> prefillEmbeds, long[][] promptMask,
            List<long[]> promptIds, GenerationSettings settings, TextStreamer streamer) {
        Batch batch = new Batch(promptMask, promptIds, settings, tokenizer);
        int promptLength = promptMask[0].length;
        if (promptLength > model.maxPositions()) {
            throw new IllegalArgumentException("prompt of " + promptLength + " tokens is longer than the model's context of "
                    + model.maxPositions() + " positions");
        }
        int maxNew = Math.min(settings.maxNewTokens(), model.maxPositions() - promptLength);
        if (maxNew <= 0) {
            return batch.result(0, 0, 0);
        }
        LogitsSampler sampler = new LogitsSampler(settings);
        long start = System.nanoTime();
        long prefillNanos;
        int steps = 0;
        try (NDManager run = manager.newSubManager();
                KvCache cache = model.newCache(run, batch.size(), promptLength + maxNew)) {
            float[][] logits;
            try (NDManager step = run.newSubManager()) {
                logits = lastLogits(prefillEmbeds.apply(step), batch.prefillPositions(step), batch.mask(step), cache);
            }
            prefillNanos = System.nanoTime() - start;
            while (true) {
                long[] next = batch.choose(logits, sampler, maxNew, streamer);
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
        }
        batch.flush(streamer);
        return batch.result(prefillNanos, System.nanoTime() - start - prefillNanos, steps);
    }

    /** The last position's logits of every row, {@code [B][V]}. */
    private float[][] lastLogits(NDArray embeds, NDArray positions, NDArray mask, KvCache cache) {
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

    /** Per-row bookkeeping: mask, positions, generated ids, stop checks, text. */
    private static final class Batch {
        private final int size;
        private final List<long[]> promptIds;
        private final GenerationSettings settings;
        private final Set<Long> stopIds;
        private final long filler;
        private final List<long[]> maskRows = new ArrayList<>();
        private final int[] nextPosition;
        private final List<List<Long>> generated = new ArrayList<>();
        private final FinishReason[] reasons;
        private final StreamDecoder[] decoders;
        private int length;

        Batch(long[][] mask, List<long[]> promptIds, GenerationSettings settings, Tokenizer tokenizer) {
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

        /** {@code cumsum(mask) - 1}, with 1 at padded positions (what transformers uses). */
        NDArray prefillPositions(NDManager m) {
            long[] flat = new long[size * length];
            for (int r = 0; r < size; r++) {
                long count = 0;
                for (int c = 0; c < length; c++) {
                    long v = maskRows.get(r)[c];
                    count += v;
                    flat[r * length + c] = v == 0 ? 1 : count - 1;
                }
            }
            return m.create(flat, new Shape(size, length));
        }

        /** Adds the column of the token just chosen; returns its positions {@code [B, 1]}. */
        NDArray extend(NDManager m) {
            length++;
            long[] positions = new long[size];
            for (int r = 0; r < size; r++) {
                positions[r] = nextPosition[r]++;
            }
            return m.create(positions, new Shape(size, 1));
        }

        long[] choose(float[][] logits, LogitsSampler sampler, int maxNew, TextStreamer streamer) {
            long[] next = new long[size];
            for (int r = 0; r < size; r++) {
                if (reasons[r] != null) {
                    next[r] = filler;
                    continue;
                }
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

        GenerationResult result(long prefillNanos, long decodeNanos, int steps) {
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
            return new GenerationResult(tokens, texts, finish, promptTokens, prefillNanos, decodeNanos, steps);
        }
    }
}
