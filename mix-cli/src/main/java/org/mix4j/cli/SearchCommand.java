package org.mix4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.EmbeddingIndex;
import org.mix4j.pipelines.retrieval.IndexContents;
import org.mix4j.pipelines.retrieval.IndexFile;
import org.mix4j.pipelines.retrieval.IndexFileException;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.pf4j.Extension;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mix search PIPELINE.yaml --index INDEX (--text "..." | --image PATH) [-k N]}. */
@Extension
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Print the images of an index most similar to a text (text tower) or an image (image tower), "
                + "with their cosine scores.")
public final class SearchCommand implements Callable<Integer>, CliCommand {

    @Parameters(index = "0", paramLabel = "PIPELINE.yaml")
    Path pipeline;

    @Option(names = "--index", required = true, paramLabel = "INDEX", description = "Index made by 'mix index'.")
    Path index;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Query query;

    @Option(names = "--json", description = "Print one JSON object per hit: rank, path, score.")
    boolean json;

    @Option(names = {"-k", "--top-k"}, paramLabel = "K", description = "How many results (default: the YAML's top_k).")
    Integer topK;

    static final class Query {
        @Option(names = "--text", paramLabel = "TEXT", description = "Natural-language query.")
        String text;

        @Option(names = "--image", paramLabel = "PATH", description = "Query image.")
        Path image;
    }

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        try {
            IndexContents contents = IndexFile.read(index);
            PipelineConfig config = PipelineConfig.load(pipeline);
            try (NDManager manager = NDManager.newBaseManager();
                    RetrievalPipeline retrieval = RetrievalPipeline.load(config, context.runtime().loader(), manager)) {
                if (!contents.model().sameModel(retrieval.fingerprint())) {
                    throw new IndexFileException(index, "was built with " + contents.model().describe()
                            + ", but this pipeline's image encoder is " + retrieval.fingerprint().describe()
                            + "; search it with the pipeline that built it");
                }
                float[] q = query.text != null ? retrieval.embedText(query.text)
                        : retrieval.embedImages(List.of(new ImageDecoder().read(query.image)))[0];
                int k = topK != null ? topK : retrieval.settings().topK();
                try (EmbeddingIndex searchable = EmbeddingIndex.of(contents.embeddings(), contents.dim(), manager,
                        context.runtime().loader().parallel())) {
                    long start = System.nanoTime();
                    List<EmbeddingIndex.Hit> hits = searchable.search(q, k);
                    double ms = (System.nanoTime() - start) / 1e6;
                    print(contents, hits, ms);
                }
            }
            return 0;
        } catch (IndexFileException | ImageDecodeException e) {
            context.err().println("error: " + e.getMessage());
            return 1;
        }
    }

    private void print(IndexContents contents, List<EmbeddingIndex.Hit> hits, double ms) {
        if (json) {
            int rank = 1;
            for (EmbeddingIndex.Hit hit : hits) {
                com.google.gson.JsonObject o = new com.google.gson.JsonObject();
                o.addProperty("rank", rank++);
                o.addProperty("path", shown(contents, hit));
                o.addProperty("score", cosine(hit.score()));
                context.out().println(o);
            }
            context.out().flush();
            return;
        }
        String what = query.text != null ? "text \"" + query.text + "\"" : "image " + query.image;
        context.out().printf(Locale.ROOT, "top %d of %d images for %s (%.1f ms)%n", hits.size(), contents.count(), what, ms);
        int rank = 1;
        for (EmbeddingIndex.Hit hit : hits) {
            context.out().printf(Locale.ROOT, "%3d  %.4f  %s%n", rank++, cosine(hit.score()), shown(contents, hit));
        }
    }

    private static String shown(IndexContents contents, EmbeddingIndex.Hit hit) {
        String rel = contents.entries().get(hit.row()).path();
        return contents.root().isEmpty() ? rel : Path.of(contents.root()).resolve(rel).toString();
    }

    /** A score as a cosine: float32 rounding can put a unit vector's dot product a little past 1 (1.0001). */
    static double cosine(double score) {
        return Math.max(-1.0, Math.min(1.0, score));
    }
}
