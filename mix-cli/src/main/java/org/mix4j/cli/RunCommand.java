package org.mix4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
import org.mix4j.registry.Registry;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a pipeline once: answer a prompt about images (understanding), continue text (text), "
                + "or make an image (generation). Give a pipeline YAML, or --model DIR for a Hugging Face / "
                + "diffusers checkpoint directory.")
final class RunCommand implements Callable<Integer>, Mix.ContextAware {

    static final class Source {
        @Parameters(paramLabel = "PIPELINE.yaml", arity = "1")
        Path yaml;

        @Option(names = "--model", paramLabel = "DIR", description = "A checkpoint directory; its config picks a preset.")
        Path model;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--image", paramLabel = "PATH", description = "An input image (repeat for several).")
    List<Path> images;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "The prompt; repeat for several, answered in order in one batch (understanding, text).")
    List<String> prompts;

    @Option(names = "--input", paramLabel = "FILE.jsonl", description = "Requests, one JSON object a line: "
            + "{\"prompt\", \"images\", max_new_tokens, temperature, top_p, top_k, seed}; answers out as JSON lines.")
    Path input;

    @Option(names = "--json", description = "Print one JSON object per answer: prompt index, answer, finish_reason, tokens.")
    boolean json;

    @Option(names = "--negative", paramLabel = "TEXT", description = "Negative prompt (generation).")
    String negative;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Output file (generation).")
    Path output;

    @Option(names = "--seed", description = "Overrides the pipeline's seed.")
    Long seed;

    @Option(names = "--steps", description = "Overrides the number of denoising steps.")
    Integer steps;

    @Option(names = "--max-new-tokens", description = "Overrides generation.max_new_tokens.")
    Integer maxNewTokens;

    @Option(names = "--temperature", description = "Overrides generation.temperature (0 = greedy).")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Overrides generation.top_p (nucleus sampling).")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Overrides generation.top_k (0 = off).")
    Integer topK;

    @Option(names = "--system", paramLabel = "TEXT", description = "Overrides system_prompt (understanding, text).")
    String system;

    @Option(names = "--dtype", paramLabel = "T", description = "Overrides dtype: (float32, float16).")
    String dtype;

    @Option(names = "--quantize", paramLabel = "Q", description = "Overrides quantize: for every component (none, int8, fp16, fp32).")
    String quantize;

    @Option(names = "--device", paramLabel = "D", description = "Overrides device: (cpu, gpu, cuda:N).")
    String device;

    @Option(names = "--stats", description = "Print timings per stage, token counts and peak resident memory.")
    boolean stats;

    @Option(names = "--print-prompt",
            description = "Print each prompt as the model reads it (system prompt, chat template), and exit.")
    boolean printPrompt;

    @Option(names = "--print-config", description = "With --model: print the pipeline YAML the preset builds, and exit.")
    boolean printConfig;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        var registry = context.runtime().registry();
        if (printConfig) {
            if (source.model == null) {
                throw new ConfigException(Origin.of("--print-config"), "", "needs --model DIR", null);
            }
            Preset.Document document = Presets.document(registry, source.model);
            context.out().print(Presets.yaml(document, overrides(SettingFlags.task(document.root()))));
            return 0;
        }
        if (input != null && (prompts != null || images != null)) {
            throw new ConfigException(Origin.of("command line"), "--input", "takes every prompt and image from " + input
                    + "; give either --input or --prompt/--image", null);
        }
        PipelineConfig config = config(registry);
        TaskRunner runner = registry.extensions(TaskRunner.class).stream()
                .filter(r -> r.task().equals(config.task())).findFirst()
                .orElseThrow(() -> new ConfigException(config.root().keyOrigin("task"), "task",
                        "no module on the classpath runs task '" + config.task() + "'", null));
        RunOptions options = new RunOptions(images, prompts, output, stats, json, input, printPrompt);
        int code = runner.run(config, options, context.runtime().loader(), context.out(), context.err(),
                new ConsoleProgress());
        if (stats && !ProcessMemory.peakText().isEmpty()) {
            context.err().println("[" + ProcessMemory.peakText() + "]");
            context.err().flush();
        }
        return code;
    }

    /** The pipeline this command line runs: the YAML or the preset, with the flags in place. */
    PipelineConfig config(Registry registry) {
        return SettingFlags.config(registry, source.yaml, source.model, this::overrides);
    }

    /** The setting flags as overrides for {@code task}; a flag the task has no use for is refused. */
    ConfigOverrides overrides(String task) {
        if (task.equals("generation")) {
            String textFlag = maxNewTokens != null ? "--max-new-tokens" : temperature != null ? "--temperature"
                    : topP != null ? "--top-p" : topK != null ? "--top-k" : system != null ? "--system" : null;
            if (textFlag != null) {
                throw SettingFlags.notFor(textFlag, task, "text output (understanding, text)");
            }
            return new ConfigOverrides().set("seed", seed, "--seed").set("num_inference_steps", steps, "--steps")
                    .set("negative_prompt", negative, "--negative").set("device", device, "--device")
                    .set("dtype", dtype, "--dtype").set("quantize", quantize, "--quantize");
        }
        if (steps != null || negative != null) {
            throw SettingFlags.notFor(steps != null ? "--steps" : "--negative", task, "task 'generation'");
        }
        return SettingFlags.decoding(maxNewTokens, temperature, seed)
                .set("generation.top_p", topP, "--top-p").set("generation.top_k", topK, "--top-k")
                .set("system_prompt", system, "--system")
                .set("device", device, "--device").set("dtype", dtype, "--dtype").set("quantize", quantize, "--quantize");
    }
}
