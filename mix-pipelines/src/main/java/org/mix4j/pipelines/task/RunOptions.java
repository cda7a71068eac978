package org.mix4j.pipelines.task;

import java.nio.file.Path;
import java.util.List;

/**
 * The inputs of a one-shot run, whatever the task; each task uses the fields that apply to it.
 * Settings (seed, steps, max_new_tokens, ...) are not here: flags set them in the pipeline's tree
 * before it is bound ({@link org.mix4j.config.ConfigOverrides}).
 *
 * @param images input images (understanding, img2img, retrieval by image)
 * @param prompts the user's texts, answered in order (text tasks batch them; others take the first)
 * @param output where to write results (images), or {@code null}
 * @param stats print timings per stage
 * @param json print one JSON object per result instead of plain text
 * @param input a JSONL file of requests ({@link JsonlRequests}), or {@code null}
 * @param printPrompt print each rendered prompt (chat template applied) instead of answering
 */
public record RunOptions(List<Path> images, List<String> prompts, Path output, boolean stats, boolean json,
        Path input, boolean printPrompt) {

    public RunOptions {
        images = images == null ? List.of() : List.copyOf(images);
        prompts = prompts == null ? List.of() : List.copyOf(prompts);
    }

    /** The first prompt, or {@code null} when none was given. */
    public String prompt() {
        return prompts.isEmpty() ? null : prompts.get(0);
    }
}
