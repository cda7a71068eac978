package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.text.TextPipeline;
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

    @Option(names = "--seed", paramLabel = "S", description = "Overrides generation.seed.")
    Long seed;

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
                .set("device", device, "--device"));
    }

    static void printStats(PrintWriter err, TextPipeline p, DecodeResult r) {
        String peak = ProcessMemory.peakText();
        err.printf("[load %.2f s | prefill %d tokens, %.1f tokens/s | decode %d tokens, %.1f tokens/s%s]%n",
                p.loadSeconds(), r.promptTokens(), r.prefillTokensPerSecond(), r.generatedTokens(),
                r.decodeTokensPerSecond(), peak.isEmpty() ? "" : " | " + peak);
        err.flush();
    }
}
