package org.mix4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Role;
import org.mix4j.llm.llama.LlamaConfig;
import org.mix4j.llm.llama.LlamaLanguageModel;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.tensor.ParallelMatMul;
import org.mix4j.tensor.TensorParallel;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mix bench llm}: prefill and KV-cached decode of LLaMA-family decoders at real shapes with
 * random weights, through the real generation loop ({@link DecodingLoop}: embedding, forward, logits
 * to Java, token choice). Prefill is compared with the machine's matmul throughput (FLOPs from
 * {@link DecoderCost}), decode with its streaming-read bandwidth (weight bytes read per token).
 */
@Extension
@Command(name = "llm", mixinStandardHelpOptions = true,
        description = "Qwen2-0.5B- and Llama-3.2-1B-shaped decoders: prefill and decode tokens/s vs the machine.")
public final class LlmBench extends AbstractBenchSection {

    /** The shapes measured, by name: config.json values of the real checkpoints. */
    static final Map<String, Map<String, Object>> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("qwen2-0.5b", Map.ofEntries(Map.entry("model_type", "qwen2"), Map.entry("vocab_size", 151936),
                Map.entry("hidden_size", 896), Map.entry("intermediate_size", 4864), Map.entry("num_hidden_layers", 24),
                Map.entry("num_attention_heads", 14), Map.entry("num_key_value_heads", 2),
                Map.entry("max_position_embeddings", 32768), Map.entry("rms_norm_eps", 1e-6),
                Map.entry("rope_theta", 1000000.0), Map.entry("tie_word_embeddings", true)));
        MODELS.put("llama-1b", Map.ofEntries(Map.entry("model_type", "llama"), Map.entry("vocab_size", 128256),
                Map.entry("hidden_size", 2048), Map.entry("intermediate_size", 8192), Map.entry("num_hidden_layers", 16),
                Map.entry("num_attention_heads", 32), Map.entry("num_key_value_heads", 8), Map.entry("head_dim", 64),
                Map.entry("max_position_embeddings", 131072), Map.entry("rms_norm_eps", 1e-5),
                Map.entry("rope_theta", 500000.0), Map.entry("tie_word_embeddings", true),
                Map.entry("rope_scaling", Map.of("rope_type", "llama3", "factor", 32.0, "low_freq_factor", 1.0,
                        "high_freq_factor", 4.0, "original_max_position_embeddings", 8192))));
    }

    @Option(names = "--model", split = ",", paramLabel = "NAME",
            description = "Shapes to measure: qwen2-0.5b, llama-1b (default: both).")
    List<String> models = new ArrayList<>(MODELS.keySet());

    @Option(names = "--prompt-tokens", split = ",", defaultValue = "128,512",
            description = "Prompt lengths for prefill (default ${DEFAULT-VALUE}).")
    List<Integer> promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", description = "Tokens decoded per run (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--dtype", defaultValue = "float32",
            description = "Weight dtype: float32 (default) or float16 (bfloat16 cannot run: DJL's PyTorch "
                    + "bindings abort the process on it, see docs/performance.md).")
    String dtype;

    @Option(names = "--quantize", split = ",", paramLabel = "Q", defaultValue = "none",
            description = "Weight storage, measured one after the other in one run: none (default), int8, fp16, "
                    + "fp32, or a list such as none,fp32,fp16,int8 side by side (int8 rows read 1 byte per weight, "
                    + "fp16 2, fp32 4 from Java arrays, activations float32; the profile is measured for none only).")
    List<String> quantize;

    @Option(names = "--no-sampling", description = "Skip the decode run with top-k/top-p sampling.")
    boolean noSampling;

    @Option(names = "--no-profile", description = "Skip the profiled decode (engine ops per token).")
    boolean noProfile;

    @Option(names = "--no-floor", description = "Skip the products-only decode floor.")
    boolean noFloor;

    @Override
    public int order() {
        return 20;
    }

    @Override
    public void run(BenchRun run) {
        DataType type = org.mix4j.tensor.ComputeTypes.parse(dtype); // bfloat16: refused with the reason
        MachineProfile machine = run.machine();
        for (String name : models) {
            Map<String, Object> shape = MODELS.get(name);
            if (shape == null) {
                throw new IllegalArgumentException("unknown --model '" + name + "'; known: " + MODELS.keySet());
            }
            for (String q : quantize) {
                org.mix4j.compose.Quantize mode = org.mix4j.compose.Quantize.NAMES.contains(q)
                        ? org.mix4j.compose.Quantize.valueOf(q.toUpperCase(Locale.ROOT)) : null;
                if (mode == null) {
                    throw new IllegalArgumentException("unknown --quantize '" + q + "'; known: "
                            + org.mix4j.compose.Quantize.NAMES);
                }
                measure(run, machine, name, shape, type, mode);
            }
        }
    }

    private void measure(BenchRun run, MachineProfile machine, String name, Map<String, Object> shape, DataType type,
            org.mix4j.compose.Quantize quantize) {
        Map<String, Object> overrides = new LinkedHashMap<>(shape);
        overrides.put("init", "random");
        overrides.put("seed", 0);
        org.mix4j.tensor.WeightFormat packed = quantize.format(); // null: the engine's own weights
        overrides.put("quantize", quantize.label());
        String subject = name + " " + dtype + (packed == null ? "" : " " + packed.label());
        int bytes = type == DataType.FLOAT32 ? 4 : 2;
        int weightBytes = packed == null ? bytes : packed.bytesPerWeight();
        LlamaConfig config;
        double decodeTokensPerSecond;
        try (NDManager manager = NDManager.newBaseManager()) {
            long t0 = System.nanoTime();
            run.progress("loading " + subject + " (random init)");
            LanguageModel model = run.loader().load((String) shape.get("model_type"), Role.LANGUAGE_MODEL, null, overrides,
                    manager, type);
            try (model) {
                config = ((LlamaLanguageModel) model).config();
                DecoderCost cost = new DecoderCost(config);
                System.gc();
                // the whole process: a model measured after another one also holds what that one's
                // allocator kept, so the first configuration of a run is the one to compare
                double modelBytes = org.mix4j.cli.ProcessMemory.read().rssBytes();
                var heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                run.params().addProperty(subject.replace(' ', '_') + "_resident_bytes", (long) modelBytes);
                run.note(String.format(Locale.ROOT, "%s: %.3f B parameters, %.2f GB of weights read per decoded token, "
                                + "random init%s in %.1f s; process resident %.2f GB (Java heap %.2f GB committed, %.2f GB "
                                + "live)", subject,
                        cost.totalParams() / 1e9, cost.weightBytesPerToken(weightBytes) / 1e9,
                        packed == null ? "" : " and " + packed.label() + " (" + org.mix4j.tensor.PackedKernel.best().name()
                                + " kernel)",
                        (System.nanoTime() - t0) / 1e9, modelBytes / 1e9, heap.getCommitted() / 1e9, heap.getUsed() / 1e9));
                DecodingLoop generator = new DecodingLoop(model, null, manager);
                SplittableRandom random = new SplittableRandom(1);
                for (int t : promptTokens) {
                    prefill(run, machine, generator, cost, subject, prompt(random, t, model.vocabSize()));
                }
                long[] prompt = prompt(random, promptTokens.get(0), model.vocabSize());
                decodeTokensPerSecond = decode(run, machine, generator, cost, subject, prompt, weightBytes, bytes,
                        greedy(newTokens), "decode", modelBytes);
                if (!noSampling) {
                    decode(run, machine, generator, cost, subject, prompt, weightBytes, bytes, sampled(newTokens),
                            "decode, top-k 50 top-p 0.9", modelBytes);
                }
                if (!noProfile && packed == null && EngineProfiler.available()) {
                    model.close(); // its memory goes to the one-thread copy
                    profile(run, overrides, type, manager, subject, prompt);
                }
            }
        }
        if (!noFloor) { // after the model is freed: the floor allocates matrices of the same size
            floor(run, machine, config, subject, type, weightBytes, decodeTokensPerSecond, packed);
        }
    }

    /**
     * The decode step's matrix-vector products alone: every layer's q|k|v, o, gate|up and down
     * products and the LM head, on random matrices of the model's shapes, split over the same
     * threads as the model splits them, and nothing else (no norms, attention, cache, sampling or
     * copies to Java; packed weights on Java arrays, as {@code JavaDecodeStep} runs them). Its tokens/s is the
     * ceiling this engine's matrix-vector kernel puts on decode; the note says how much of it the real
     * decode reaches.
     */
    private void floor(BenchRun run, MachineProfile machine, LlamaConfig c, String subject, DataType type, int bytes,
            double decodeTokensPerSecond, org.mix4j.tensor.WeightFormat packed) {
        run.progress(subject + ": decode floor (matrix-vector products only)");
        long d = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.resolvedHeadDim();
        long kv = (long) c.kvHeads() * c.resolvedHeadDim();
        long inter = c.intermediateSize();
        long[][] layerShapes = {{q + 2 * kv, d}, {d, q}, {2 * inter, d}, {d, inter}}; // [out, in]
        try (NDManager m = NDManager.newBaseManager()) {
            List<Runnable> products = new ArrayList<>();
            java.util.SplittableRandom random = new java.util.SplittableRandom(5);
            long matrixBytes = 0;
            for (int layer = 0; layer <= c.numHiddenLayers(); layer++) {
                long[][] shapes = layer < c.numHiddenLayers() ? layerShapes : new long[][] {{c.vocabSize(), d}};
                for (long[] shape : shapes) {
                    NDArray w = m.randomNormal(0, 0.02f, new Shape(shape[0], shape[1]), type);
                    if (packed != null) { // the packed table and kernel on Java arrays, as the Java decode step runs them
                        org.mix4j.tensor.PackedMatrix table = packed.pack("floor", w);
                        w.close();
                        float[] x = new float[(int) shape[1]];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = (float) random.nextGaussian();
                        }
                        float[] y = new float[(int) shape[0]];
                        products.add(() -> table.multiply(x, 1, y, run.parallel()));
                    } else { // an [in, out] view, as Linear holds it
                        ParallelMatMul product = new ParallelMatMul(w.transpose(), run.parallel());
                        NDArray x = m.randomNormal(0, 1, new Shape(1, 1, shape[1]), type);
                        products.add(() -> product.apply(x).close());
                    }
                    matrixBytes += shape[0] * shape[1] * bytes;
                }
            }
            double[] ms = run.time(1, run.runs(5), () -> products.forEach(Runnable::run));
            BenchResult r = BenchResult.rate("llm", subject, "decode floor: products only", "tok/s", ms, 1);
            double efficiency = matrixBytes * r.median() / (machine.readGbs() * 1e9);
            run.add(r.withRatio(efficiency, "read bandwidth").detail("bytes_per_token", matrixBytes)
                    .detail("ms_per_token", 1000 / r.median()));
            run.note(String.format(Locale.ROOT, "%s: decode reaches %.2f of the products-only floor (%.2f of %.2f tok/s); "
                    + "the products read %.1f GB/s", subject, decodeTokensPerSecond / r.median(), decodeTokensPerSecond,
                    r.median(), matrixBytes * r.median() / 1e9));
        }
    }

    private void prefill(BenchRun run, MachineProfile machine, DecodingLoop generator, DecoderCost cost, String subject,
            long[] prompt) {
        run.progress(subject + ": prefill of " + prompt.length + " tokens");
        double[] ms = new double[run.runs(3)];
        generator.generate(List.of(prompt), greedy(1), null); // warm-up
        for (int i = 0; i < ms.length; i++) {
            ms[i] = generator.generate(List.of(prompt), greedy(1), null).prefillNanos() / 1e6;
        }
        double flops = cost.forwardFlops(prompt.length, 0);
        BenchResult r = BenchResult.rate("llm", subject, "prefill " + prompt.length + " tokens", "tok/s", ms,
                prompt.length);
        double gflops = flops / 1e9 * r.median() / prompt.length; // median tokens/s -> FLOP/s
        run.add(r.withRatio(gflops / machine.matmulGflops(), "matmul throughput").detail("flops", flops)
                .detail("gflops", gflops));
    }

    /** @return the median tokens/s */
    private double decode(BenchRun run, MachineProfile machine, DecodingLoop generator, DecoderCost cost, String subject,
            long[] prompt, int weightBytes, int kvBytes, DecodingSettings settings, String metric, double modelBytes) {
        run.progress(subject + ": " + metric + ", " + settings.maxNewTokens() + " new tokens");
        generator.generate(List.of(prompt), withMaxNew(settings, Math.min(8, settings.maxNewTokens())), null);
        double[] ms = new double[run.runs(3)];
        int steps = 0;
        for (int i = 0; i < ms.length; i++) {
            DecodeResult g = generator.generate(List.of(prompt), settings, null);
            steps = g.decodeSteps();
            ms[i] = g.decodeNanos() / 1e6;
        }
        BenchResult r = BenchResult.rate("llm", subject, metric + ", " + newTokens + " new", "tok/s", ms, steps);
        int meanContext = prompt.length + settings.maxNewTokens() / 2;
        double bytesPerToken = cost.weightBytesPerToken(weightBytes) + cost.kvBytesPerToken(meanContext, kvBytes);
        double efficiency = bytesPerToken * r.median() / (machine.readGbs() * 1e9);
        run.add(r.withRatio(efficiency, "read bandwidth").detail("bytes_per_token", bytesPerToken)
                .detail("ms_per_token", 1000 / r.median()).detail("resident_bytes", modelBytes));
        return r.median();
    }

    /** Engine ops per decoded token and their time split, from one profiled generation on one thread. */
    private static void profile(BenchRun run, Map<String, Object> overrides, DataType type, NDManager manager,
            String subject, long[] prompt) {
        int tokens = 8;
        // a one-thread copy of the model: the profiler records the calling thread's ops only
        try (LanguageModel serial = run.loader().withParallel(TensorParallel.SERIAL).load(
                (String) overrides.get("model_type"), Role.LANGUAGE_MODEL, null, overrides, manager, type)) {
            DecodingLoop generator = new DecodingLoop(serial, null, manager);
            EngineProfiler.Summary one = EngineProfiler.profile(
                    () -> generator.generate(List.of(prompt), greedy(1), null));
            EngineProfiler.Summary all = EngineProfiler.profile(
                    () -> generator.generate(List.of(prompt), greedy(tokens + 1), null));
            int ops = (all.ops() - one.ops()) / tokens; // the difference is the decode steps alone
            double opMs = (all.opMillis() - one.opMillis()) / tokens;
            double kernelMs = (all.kernelMillis() - one.kernelMillis()) / tokens;
            run.params().addProperty(subject.replace(' ', '_') + "_ops_per_token", ops);
            run.note(String.format(Locale.ROOT, "%s, profiled on one thread: %d engine ops per decoded token, %.1f ms "
                    + "in ops, %.0f%% of it in matrix products; the most frequent: %s", subject, ops, opMs,
                    100 * kernelMs / opMs, frequent(one, all, tokens)));
        } catch (Exception e) {
            run.note(subject + ": profiling failed: " + e.getMessage());
        }
    }

    /** The engine ops a decode step calls most often, as {@code mul 240, add 170, ...} per token. */
    private static String frequent(EngineProfiler.Summary one, EngineProfiler.Summary all, int tokens) {
        Map<String, Integer> before = new java.util.HashMap<>();
        one.byName().forEach(t -> before.put(t.name(), t.count()));
        return all.byName().stream()
                .map(t -> Map.entry(t.name().replace("aten::", ""), (t.count() - before.getOrDefault(t.name(), 0)) / tokens))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(12)
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static long[] prompt(SplittableRandom random, int length, int vocab) {
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }

    /** Greedy, no stop ids: always exactly {@code maxNew} tokens. */
    private static DecodingSettings greedy(int maxNew) {
        return new DecodingSettings(maxNew, 0, 0, 1.0, 1.0, 0, List.of(), List.of(), null);
    }

    private static DecodingSettings sampled(int maxNew) {
        return new DecodingSettings(maxNew, 0.7, 50, 0.9, 1.0, 0, List.of(), List.of(), null);
    }

    private static DecodingSettings withMaxNew(DecodingSettings s, int maxNew) {
        return new DecodingSettings(maxNew, s.temperature(), s.topK(), s.topP(), s.repetitionPenalty(), s.seed(),
                s.eosTokenId(), s.stop(), s.doSample());
    }
}
