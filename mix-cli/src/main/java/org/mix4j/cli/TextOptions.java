package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.mix4j.config.ConfigException;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.text.TextPipeline;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Options shared by {@code mix run} (text) and {@code mix chat}: what to load and generation overrides. */
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

    @Option(names = "--stats", description = "Print load time and prefill / decode tokens per second.")
    boolean stats;

    /** Exactly one of PIPELINE.yaml and --model. */
    void check() {
        if ((pipeline == null) == (model == null)) {
            throw new ConfigException("command line", 0, 0, "PIPELINE.yaml", "give either a pipeline YAML or --model DIR",
                    null);
        }
    }

    /** The YAML's task, read without loading anything. */
    String task() {
        Object task = new YamlLoader().load(pipeline).get("task") instanceof org.mix4j.config.ConfigNode.Scalar s
                ? s.value() : null;
        return String.valueOf(task);
    }

    TextPipeline load(CliContext context, NDManager manager) {
        return pipeline != null ? TextPipeline.load(pipeline, context.runtime().loader(), manager)
                : TextPipeline.fromCheckpoint(model, context.runtime().loader(), manager);
    }

    DecodingSettings apply(DecodingSettings s) {
        return new DecodingSettings(maxNewTokens != null ? maxNewTokens : s.maxNewTokens(),
                temperature != null ? temperature : s.temperature(), s.topK(), s.topP(), s.repetitionPenalty(),
                seed != null ? seed : s.seed(), s.eosTokenId(), s.stop(),
                temperature != null ? Boolean.valueOf(temperature > 0) : s.doSample());
    }

    static void printStats(PrintWriter err, TextPipeline p, DecodeResult r) {
        err.printf("[load %.2f s | prefill %d tokens, %.1f tokens/s | decode %d tokens, %.1f tokens/s]%n",
                p.loadSeconds(), r.promptTokens(), r.prefillTokensPerSecond(), r.generatedTokens(),
                r.decodeTokensPerSecond());
        err.flush();
    }
}
