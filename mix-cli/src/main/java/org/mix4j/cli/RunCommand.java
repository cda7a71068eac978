package org.mix4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
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

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt.")
    String prompt;

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

    @Option(names = "--stats", description = "Print timings per stage and token counts.")
    boolean stats;

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
        PipelineConfig config;
        if (source.model != null) {
            String yaml = Presets.yaml(registry, source.model);
            if (printConfig) {
                context.out().print(yaml);
                return 0;
            }
            config = Presets.parse(yaml, source.model);
        } else {
            if (printConfig) {
                throw new ConfigException(source.yaml.toString(), 0, 0, "", "--print-config needs --model DIR", null);
            }
            config = PipelineConfig.load(source.yaml);
        }
        TaskRunner runner = registry.extensions(TaskRunner.class).stream()
                .filter(r -> r.task().equals(config.task())).findFirst()
                .orElseThrow(() -> new ConfigException(config.file(), 0, 0, "task",
                        "no module on the classpath runs task '" + config.task() + "'", null));
        RunOptions options = new RunOptions(images, prompt, negative, output, stats, seed, steps, maxNewTokens);
        return runner.run(config, options, context.runtime().loader(), context.out(), context.err(), new ConsoleProgress());
    }
}
