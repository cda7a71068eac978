package org.mix4j.pipelines.task;

import java.nio.file.Path;
import java.util.List;

/**
 * What a one-shot run asks for, whatever the task; each task uses the fields that apply to it.
 *
 * @param images input images (understanding, img2img, retrieval by image)
 * @param prompt the user's text
 * @param negativePrompt generation only
 * @param output where to write results (images), or {@code null}
 * @param stats print timings per stage
 * @param seed overrides the pipeline's seed, or {@code null}
 * @param steps overrides the number of denoising steps, or {@code null}
 * @param maxNewTokens overrides {@code generation.max_new_tokens}, or {@code null}
 */
public record RunOptions(List<Path> images, String prompt, String negativePrompt, Path output, boolean stats,
        Long seed, Integer steps, Integer maxNewTokens) {

    public RunOptions {
        images = images == null ? List.of() : List.copyOf(images);
    }
}
