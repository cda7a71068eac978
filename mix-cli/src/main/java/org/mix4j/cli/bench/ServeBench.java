package org.mix4j.cli.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.pipelines.decoding.DecodeScheduler;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.task.DecodingSettings;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench serve}: N concurrent generations on one random-weight decoder, as {@code mix serve}
 * runs N requests to one text model: side by side (each its own batch of one, {@code batch_slots: 0})
 * and continuously batched ({@link DecodeScheduler}, {@code batch_slots: N}). Tokens/s counts every
 * stream's new tokens over the wall time from the first request to the last answer (prefill
 * included); both modes must produce the same tokens.
 */
@Extension
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Concurrent decode streams on one model: continuous batching vs side by side, tokens/s.")
public final class ServeBench extends AbstractBenchSection {

    @Option(names = "--model", defaultValue = "qwen2-0.5b", description = "Shape: qwen2-0.5b or llama-1b (default "
            + "${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--layers", description = "Decoder layers (default: the shape's own).")
    Integer layers;

    @Option(names = "--streams", split = ",", defaultValue = "1,2,4,8",
            description = "Concurrent streams to measure (default ${DEFAULT-VALUE}).")
    List<Integer> streams;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "Prompt length (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "32", description = "Tokens per stream (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Override
    public int order() {
        return 25;
    }

    @Override
    public boolean inAll() {
        return false; // minutes at the real shape
    }

    @Override
    public void run(BenchRun run) throws Exception {
        Map<String, Object> shape = LlmBench.MODELS.get(model);
        if (shape == null) {
            throw new IllegalArgumentException("unknown --model '" + model + "'; known: " + LlmBench.MODELS.keySet());
        }
        Map<String, Object> overrides = new LinkedHashMap<>(shape);
        overrides.put("init", "random");
        overrides.put("seed", 0);
        if (layers != null) {
            overrides.put("num_hidden_layers", layers);
        }
        String subject = model + (layers == null ? "" : ", " + layers + " layers") + " float32";
        int most = streams.stream().mapToInt(Integer::intValue).max().orElse(1);
        ExecutorService pool = Executors.newFixedThreadPool(most);
        try (NDManager manager = NDManager.newBaseManager()) {
            run.progress("loading " + subject + " (random init)");
            LanguageModel llm = run.loader().load((String) shape.get("model_type"), Role.LANGUAGE_MODEL, null, overrides,
                    manager, DataType.FLOAT32);
            try (llm) {
                SplittableRandom random = new SplittableRandom(1);
                List<long[]> prompts = new ArrayList<>();
                for (int i = 0; i < most; i++) {
                    prompts.add(random.ints(promptTokens, 0, llm.vocabSize()).asLongStream().toArray());
                }
                DecodingLoop alone = new DecodingLoop(llm, IdTokenizer.INSTANCE, manager);
                alone.generate(List.of(prompts.get(0)), greedy(4), null); // warm-up
                for (int n : streams) {
                    measure(run, pool, llm, manager, alone, prompts.subList(0, n), subject);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void measure(BenchRun run, ExecutorService pool, LanguageModel llm, NDManager manager, DecodingLoop alone,
            List<long[]> prompts, String subject) throws Exception {
        int n = prompts.size();
        run.progress(subject + ": " + n + " streams of " + newTokens + " tokens, side by side and batched");
        DecodingSettings settings = greedy(newTokens);
        int runs = run.runs(2);
        double[] sideMs = new double[runs];
        double[] batchedMs = new double[runs];
        Latencies sideLatency = new Latencies();
        Latencies batchedLatency = new Latencies();
        List<long[]> sideTokens = null;
        List<long[]> batchedTokens = null;
        try (DecodeScheduler scheduler = new DecodeScheduler(llm, IdTokenizer.INSTANCE, manager, n,
                promptTokens + newTokens + 1)) {
            for (int i = 0; i < runs; i++) { // alternated, so that the machine's drifts hit both alike
                long start = System.nanoTime();
                sideTokens = all(pool, prompts, p -> {
                    Latencies.Stream s = sideLatency.stream(start);
                    return alone.generate(List.of(p), settings, s).tokens().get(0);
                });
                sideMs[i] = (System.nanoTime() - start) / 1e6;
                long batchedStart = System.nanoTime();
                batchedTokens = all(pool, prompts, p -> {
                    Latencies.Stream s = batchedLatency.stream(batchedStart);
                    return scheduler.generate(p, settings, s, () -> false).tokens().get(0);
                });
                batchedMs[i] = (System.nanoTime() - batchedStart) / 1e6;
            }
            DecodeScheduler.Stats stats = scheduler.stats();
            run.note(String.format(Locale.ROOT, "%s, %d streams: batched steps decoded %.2f rows on average; tokens %s",
                    subject, n, (double) stats.rowSteps() / stats.steps(),
                    same(sideTokens, batchedTokens) ? "identical in both modes" : "DIFFER between the modes"));
        }
        BenchResult side = BenchResult.rate("serve", subject, n + " streams, side by side", "tok/s", sideMs,
                (double) n * newTokens);
        run.add(side);
        run.add(BenchResult.rate("serve", subject, n + " streams, batched", "tok/s", batchedMs, (double) n * newTokens)
                .relativeTo(side.median(), "side by side"));
        sideLatency.report(run, subject, n + " streams, side by side");
        batchedLatency.report(run, subject, n + " streams, batched");
    }

    /**
     * When each stream's tokens arrived: the time to its first token counted from the moment all
     * streams were submitted together (so it includes waiting for the others' prefills, as a served
     * request's does), and the gaps between its later tokens.
     */
    private static final class Latencies {
        private final List<Double> firstMs = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<Double> gapMs = java.util.Collections.synchronizedList(new ArrayList<>());

        /** A streamer for one stream submitted at {@code submitted} ({@link System#nanoTime()}). */
        Stream stream(long submitted) {
            return new Stream(submitted);
        }

        final class Stream implements org.mix4j.pipelines.decoding.TextStreamer {
            private final long submitted;
            private long last = -1;

            Stream(long submitted) {
                this.submitted = submitted;
            }

            @Override
            public void onText(int row, String text) {
                long now = System.nanoTime();
                // one call per token: IdTokenizer's text of every id is final at once
                if (last < 0) {
                    firstMs.add((now - submitted) / 1e6);
                } else {
                    gapMs.add((now - last) / 1e6);
                }
                last = now;
            }
        }

        void report(BenchRun run, String subject, String mode) {
            double[] first = firstMs.stream().mapToDouble(Double::doubleValue).toArray();
            double[] gaps = gapMs.stream().mapToDouble(Double::doubleValue).toArray();
            if (first.length > 0) {
                run.add(BenchResult.of("serve", subject, mode + ": time to first token", "ms", first)
                        .detail("p95", percentile(first, 0.95)));
            }
            if (gaps.length > 0) {
                run.add(BenchResult.of("serve", subject, mode + ": time between tokens", "ms", gaps)
                        .detail("p95", percentile(gaps, 0.95)));
            }
        }

        private static double percentile(double[] values, double q) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
        }
    }

    /**
     * Token ids as text ({@code " 123"}), so that a decode streams one final piece per token without a
     * real vocabulary: the bench's weights are random and its prompts random ids.
     */
    private enum IdTokenizer implements org.mix4j.api.Tokenizer {
        INSTANCE;

        @Override
        public long[] encode(String text) {
            return encodeRaw(text);
        }

        @Override
        public long[] encodeRaw(String text) {
            return Arrays.stream(text.trim().split("\\s+")).filter(t -> !t.isEmpty()).mapToLong(Long::parseLong)
                    .toArray();
        }

        @Override
        public String decode(long[] ids, boolean skipSpecialTokens) {
            StringBuilder b = new StringBuilder();
            for (long id : ids) {
                b.append(' ').append(id);
            }
            return b.toString();
        }

        @Override
        public java.util.OptionalLong tokenId(String token) {
            return java.util.OptionalLong.empty();
        }

        @Override
        public org.mix4j.api.Tokenizer.TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
            throw new UnsupportedOperationException("the serve bench encodes no text");
        }
    }

    private static List<long[]> all(ExecutorService pool, List<long[]> prompts, Function<long[], long[]> generate)
            throws Exception {
        List<Future<long[]>> futures = new ArrayList<>();
        for (long[] p : prompts) {
            futures.add(pool.submit(() -> generate.apply(p)));
        }
        List<long[]> out = new ArrayList<>();
        for (Future<long[]> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    private static boolean same(List<long[]> a, List<long[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Greedy, no stop ids: always exactly {@code maxNew} tokens. */
    private static DecodingSettings greedy(int maxNew) {
        return new DecodingSettings(maxNew, 0, 0, 1.0, 1.0, 0, List.of(), List.of(), null);
    }
}
