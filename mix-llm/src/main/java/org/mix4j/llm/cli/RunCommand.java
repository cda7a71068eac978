package org.mix4j.llm.cli;

import ai.djl.ndarray.NDManager;
import java.util.concurrent.Callable;
import org.mix4j.cli.CliCommand;
import org.mix4j.cli.CliContext;
import org.mix4j.config.ConfigException;
import org.mix4j.llm.generation.GenerationResult;
import org.mix4j.llm.text.TextPipeline;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mix run PIPELINE.yaml --prompt "..."}: one-shot generation, streamed to standard output.
 * Only {@code task: text} for now; other tasks fail with a clear message until they are wired in.
 */
@Extension
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a pipeline once. task: text generates a reply to --prompt (streamed).")
public final class RunCommand implements Callable<Integer>, CliCommand {

    @Mixin
    TextOptions options = new TextOptions();

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The user message.")
    String prompt;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        options.check();
        if (options.pipeline != null && !options.task().equals("text")) {
            throw new ConfigException(options.pipeline.toString(), 1, 1, "task", "task " + options.task()
                    + " is not supported by mix run yet", java.util.List.of("text"));
        }
        try (NDManager manager = NDManager.newBaseManager(); TextPipeline pipeline = options.load(context, manager)) {
            GenerationResult r = pipeline.generate(prompt, options.apply(pipeline.settings()), (row, text) -> {
                context.out().print(text);
                context.out().flush();
            });
            context.out().println();
            if (options.stats) {
                TextOptions.printStats(context.err(), pipeline, r);
            }
        }
        return 0;
    }
}
