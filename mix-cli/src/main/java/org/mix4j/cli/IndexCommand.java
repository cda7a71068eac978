package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.mix4j.api.ProgressListener;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.IndexFileException;
import org.mix4j.pipelines.retrieval.Indexer;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix index PIPELINE.yaml --images DIR --out INDEX}. */
@Extension
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Encode every image under a folder (png, jpg, jpeg, bmp, gif; recursively) with the image tower "
                + "of a 'task: retrieval' pipeline into an index file. Re-running encodes only new or changed files "
                + "and drops deleted ones; entries under a folder that is missing or cannot be read are kept, and a "
                + "run that would remove more than half of the entries stops unless --prune is given. An image that "
                + "fails is reported and skipped. The previous index is kept as INDEX.bak.")
public final class IndexCommand implements Callable<Integer>, CliCommand {

    @Parameters(index = "0", paramLabel = "PIPELINE.yaml")
    Path pipeline;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "Folder of images.")
    Path images;

    @Option(names = "--out", required = true, paramLabel = "INDEX", description = "Index file to create or update.")
    Path out;

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per encoder call (default: the YAML's batch_size).")
    Integer batchSize;

    @Option(names = "--save-interval", paramLabel = "SECONDS", defaultValue = "120",
            description = "During long runs, save what is done this often (0: only at the end). Default ${DEFAULT-VALUE}.")
    long saveInterval;

    @Option(names = "--max-pixels", paramLabel = "N", description = "Skip images larger than this (default: PIL's limit).")
    Long maxPixels;

    @Option(names = "--prune", description = "The files are really gone: remove their entries even when that is "
            + "more than half of the index, and drop the entries of missing sub-folders.")
    boolean prune;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PipelineConfig config = PipelineConfig.load(pipeline);
        try (NDManager manager = NDManager.newBaseManager();
                RetrievalPipeline retrieval = RetrievalPipeline.load(config, context.runtime().loader(), manager)) {
            ProgressListener progress = noProgress ? ProgressListener.NONE : new ConsoleProgress();
            ImageDecoder decoder = new ImageDecoder(maxPixels == null ? ImageDecoder.DEFAULT_MAX_PIXELS : maxPixels);
            int batch = batchSize != null ? batchSize : retrieval.settings().batchSize();
            Indexer indexer = new Indexer(retrieval, decoder, batch, Duration.ofSeconds(Math.max(0, saveInterval)),
                    progress, s -> context.err().println("skipped " + s.path() + ": " + s.reason()));
            Indexer.Result result = indexer.index(images, out, prune);
            result.held().forEach(h -> context.err().println("warning: " + h.describe()));
            context.out().println(result.summary() + (result.written() ? " -> " + out : " (" + out + " already up to date)"));
            if (result.nothingIndexed()) {
                context.err().println("error: none of the images under " + images + " could be indexed ("
                        + result.skipped().size() + " skipped, listed above)");
                return 1;
            }
            if (!result.skipped().isEmpty()) {
                context.out().println(result.skipped().size() + " file(s) could not be read and were skipped (listed above)");
            }
            return 0;
        } catch (IndexFileException e) {
            context.err().println("error: " + e.getMessage());
            return 1;
        }
    }
}
