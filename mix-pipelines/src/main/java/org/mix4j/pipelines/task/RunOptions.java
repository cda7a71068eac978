package org.mix4j.pipelines.task;

import java.nio.file.Path;
import java.util.List;

/**
 * The inputs of a one-shot run, whatever the task; each task uses the fields that apply to it.
 * Settings (seed, steps, max_new_tokens, ...) are not here: flags set them in the pipeline's tree
 * before it is bound ({@link org.mix4j.config.ConfigOverrides}).
 *
 * @param images input images (understanding, img2img, retrieval by image)
 * @param prompt the user's text
 * @param output where to write results (images), or {@code null}
 * @param stats print timings per stage
 */
public record RunOptions(List<Path> images, String prompt, Path output, boolean stats) {

    public RunOptions {
        images = images == null ? List.of() : List.copyOf(images);
    }
}
