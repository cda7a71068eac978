package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.Registry;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix chat}'s options: what to load and the {@code generation:} flags it shares with {@code mix run}. */
final class TextOptions {

    @Parameters(arity = "0..1", paramLabel = "PIPELINE.yaml", description = "A pipeline YAML.")
    Path pipeline;

    @Option(names = "--model", paramLabel = "DIR",
            description = "A Hugging Face checkpoint directory (config.json, tokenizer.json) instead of a YAML.")
    Path model;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Overrides generation.max_new_tokens.")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Overrides generation.temperature (0 = greedy).")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Overrides generation.top_p (nucleus sampling).")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Overrides generation.top_k (0 = off).")
    Integer topK;

    @Option(names = "--seed", paramLabel = "S", description = "Overrides generation.seed.")
    Long seed;

    @Option(names = "--system", paramLabel = "TEXT", description = "Overrides system_prompt.")
    String system;

    @Option(names = "--dtype", paramLabel = "T", description = "Overrides dtype: (float32, float16).")
    String dtype;

    @Option(names = "--quantize", paramLabel = "Q", description = "Overrides quantize: for every component (none, int8, fp16, fp32).")
    String quantize;

    @Option(names = "--device", paramLabel = "D", description = "Overrides device: (cpu, gpu, cuda:N).")
    String device;

    @Option(names = "--stats", description = "Print load time, prefill / decode tokens per second and peak resident memory.")
    boolean stats;

    /** Exactly one of PIPELINE.yaml and --model. */
    void check() {
        if ((pipeline == null) == (model == null)) {
            throw new ConfigException(Origin.of("command line"), "PIPELINE.yaml", "give either a pipeline YAML or --model DIR",
                    null);
        }
    }

    /**
     * The pipeline: the YAML or {@code --model}'s preset with the flags in place, built exactly as
     * {@code mix run} builds it.
     */
    PipelineConfig config(Registry registry) {
        check();
        return SettingFlags.config(registry, pipeline, model, task -> SettingFlags.decoding(maxNewTokens, temperature, seed)
                .set("generation.top_p", topP, "--top-p").set("generation.top_k", topK, "--top-k")
                .set("system_prompt", system, "--system")
                .set("device", device, "--device").set("dtype", dtype, "--dtype").set("quantize", quantize, "--quantize"));
    }

    /** One turn's timings; the prefill counts the positions it computed, and those a kept cache held. */
    static void printStats(PrintWriter err, double loadSeconds, DecodeResult r) {
        String peak = ProcessMemory.peakText();
        String reused = r.reusedPromptTokens() == 0 ? "" : " (" + r.reusedPromptTokens() + " more reused from the cache)";
        err.printf("[load %.2f s | prefill %d tokens%s, %.1f tokens/s | decode %d tokens, %.1f tokens/s%s]%n",
                loadSeconds, r.prefilledTokens(), reused, r.prefillTokensPerSecond(), r.generatedTokens(),
                r.decodeTokensPerSecond(), peak.isEmpty() ? "" : " | " + peak);
        err.flush();
    }
}
