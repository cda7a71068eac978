package org.mix4j.data.ops;

import com.google.gson.JsonArray;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.data.PipelineOnFirstUse;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;

/**
 * {@code mix data tag}: asks an understanding pipeline about each sample's first image with a
 * prompt and stores the answer, split at commas (and {@code ，、;} or new lines), trimmed,
 * lower-cased and without repeats, as the sample's {@code tags} field. A sample without a readable
 * image is left as it is and counted. A serializable function over samples; the model loads on
 * first use.
 */
public final class Tagger implements UnaryOperator<Sample>, java.io.Serializable, AutoCloseable {

    public static final String DEFAULT_PROMPT = "List a few short tags for this picture, separated by commas.";

    private final PipelineOnFirstUse<UnderstandingPipeline> pipeline;
    private final String prompt;
    private final int maxTags;
    private long tagged;
    private long untagged;

    public Tagger(Path pipelineYaml, String prompt, int maxTags, ComponentLoader loader) {
        if (maxTags < 1) {
            throw new IllegalArgumentException("--max-tags must be at least 1, got " + maxTags);
        }
        this.pipeline = new PipelineOnFirstUse<>(pipelineYaml, UnderstandingPipeline::load, "tag", loader);
        this.prompt = prompt == null ? DEFAULT_PROMPT : prompt;
        this.maxTags = maxTags;
    }

    /**
     * Gives a deserialized tagger the loader of the runtime it runs in (a Spark executor's), before
     * its first sample; the pipeline then loads once for this copy.
     */
    public void withLoader(ComponentLoader loader) {
        pipeline.withLoader(loader);
    }

    @Override
    public Sample apply(Sample s) {
        List<Path> images = s.imagePaths();
        RgbImage image;
        try {
            image = images.isEmpty() ? null : ImageDecoder.readRgb(images.get(0));
        } catch (ImageDecodeException e) {
            image = null;
        }
        if (image == null) {
            untagged++;
            return s;
        }
        String answer = pipeline.get().answer(List.of(image), prompt, (row, text) -> {}).texts().get(0);
        JsonArray tags = new JsonArray();
        parse(answer, maxTags).forEach(tags::add);
        tagged++;
        return s.withField("tags", tags);
    }

    /** The tags in a model's answer. */
    public static List<String> parse(String answer, int max) {
        Set<String> tags = new LinkedHashSet<>();
        for (String part : answer.split("[,，、;；\\n]")) {
            String t = part.strip().replaceAll("^[-*•\\d.\\s]+", "").replaceAll("[.。]+$", "").strip()
                    .toLowerCase(Locale.ROOT);
            if (!t.isEmpty() && tags.size() < max) {
                tags.add(t);
            }
        }
        return List.copyOf(tags);
    }

    public long tagged() {
        return tagged;
    }

    public long untagged() {
        return untagged;
    }

    @Override
    public void close() {
        pipeline.close();
    }
}
