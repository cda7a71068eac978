package org.mix4j.data.filter;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.data.PipelineOnFirstUse;
import org.mix4j.data.records.Sample;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;

/**
 * Drops an image-text pair whose CLIP score (the cosine of the retrieval pipeline's L2-normalised
 * image and text embeddings) is under {@code min}. The image is the sample's first, the text its
 * first answer (a caption pair's caption); a sample without both passes. The pipeline (any
 * {@code task: retrieval} YAML) loads on first use, so a deserialized rule loads its own.
 */
public final class ClipScore implements Rule {

    private final PipelineOnFirstUse<RetrievalPipeline> pipeline;
    private final double min;

    /** @param loader the runtime's component loader ({@code MixRuntime.loader()}) */
    public ClipScore(Path pipelineYaml, double min, ComponentLoader loader) {
        this.pipeline = new PipelineOnFirstUse<>(pipelineYaml, RetrievalPipeline::load, "clip_score", loader);
        this.min = min;
    }

    /**
     * Gives a deserialized rule the loader of the runtime it runs in (a Spark executor's), before
     * its first sample; the pipeline then loads once for this copy of the rule.
     */
    public void withLoader(ComponentLoader loader) {
        pipeline.withLoader(loader);
    }

    @Override
    public String name() {
        return "clip_score";
    }

    @Override
    public Verdict apply(Sample sample, SampleImages images) {
        List<RgbImage> ok = images.ok();
        String text = sample.firstText("assistant");
        if (ok.isEmpty() || text == null || text.isBlank()) {
            return Verdict.keep(sample);
        }
        double score = score(ok.get(0), text);
        return score < min ? Verdict.drop(String.format(Locale.ROOT, "CLIP score %.3f < %s", score, min))
                : Verdict.keep(sample);
    }

    /** The cosine of the pipeline's embeddings of {@code image} and {@code text}. */
    public double score(RgbImage image, String text) {
        RetrievalPipeline p = pipeline.get();
        float[] i = p.embedImages(List.of(image))[0];
        float[] t = p.embedText(text);
        double dot = 0;
        for (int k = 0; k < i.length; k++) {
            dot += (double) i[k] * t[k];
        }
        return dot;
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
