package org.mix4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.ops.Tagger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mix data tag}: an understanding model's tags for each sample's image, in a {@code tags} field. */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = "Ask an understanding pipeline for tags of each sample's first image and store them in a "
                + "\"tags\" field (a list of strings; the answer split at commas).")
final class DataTagCommand extends DataToolCommand.InOut {

    @Option(names = "--pipeline", required = true, paramLabel = "YAML", description = "A task: understanding pipeline.")
    Path pipeline;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The question (default: \"" + Tagger.DEFAULT_PROMPT + "\").")
    String prompt;

    @Option(names = "--max-tags", defaultValue = "10", paramLabel = "N", description = "Tags kept a sample (default: ${DEFAULT-VALUE}).")
    int maxTags;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        DataRun run = io.run(context, in);
        try (Tagger tagger = new Tagger(pipeline, prompt, maxTags, context.runtime().loader())) {
            RunReport r = run.transform(in, out, tagger, new RunReport("tag"));
            r.put("tagged", tagger.tagged()).put("without_image", tagger.untagged());
            io.finish(context, r, String.format(Locale.ROOT, "tagged %d samples (%d without a readable image) into %s in %.1f s",
                    tagger.tagged(), tagger.untagged(), out, (System.nanoTime() - start) / 1e9));
        }
        return 0;
    }
}
