package org.mix4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.pipelines.task.PipelineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check pipeline YAML files: structure, component types and their keys (against the "
                + "checkpoint's config.json when the checkpoint is present), and whether the components' widths "
                + "fit one another. Reports every problem; exit code 1 on any error.")
final class ValidateCommand implements Callable<Integer>, Mix.ContextAware {

    @Parameters(arity = "1..*", paramLabel = "PIPELINE.yaml")
    List<Path> files;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        int bad = 0;
        for (Path file : files) {
            try {
                PipelineConfig.Validation v = PipelineConfig.check(file, context.runtime().loader());
                PipelineConfig config = v.config();
                v.warnings().forEach(w -> context.out().println("warning: " + w));
                v.errors().forEach(e -> context.err().println("error: " + e.getMessage()));
                if (!v.ok()) {
                    bad++;
                    continue;
                }
                context.out().println(file + ": OK (task " + config.task() + ", " + config.components().size()
                        + " components)");
            } catch (RuntimeException e) {
                bad++;
                context.err().println("error: " + ErrorMessages.describe(e));
                if (context.debug()) {
                    e.printStackTrace(context.err());
                }
            }
        }
        return bad == 0 ? 0 : 1;
    }
}
