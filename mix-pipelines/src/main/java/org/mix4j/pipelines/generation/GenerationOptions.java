package org.mix4j.pipelines.generation;

import java.nio.file.Path;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;

/**
 * One run's choices on top of a pipeline's settings (what {@code mix generate} flags set); a
 * {@code null} field keeps the pipeline's value.
 *
 * @param prompt the prompt (required)
 * @param negative the negative prompt
 * @param steps {@code num_inference_steps}
 * @param guidance {@code guidance_scale}
 * @param seed seed of the first image (image {@code i} uses {@code seed + i})
 * @param width output width in pixels (with {@code height})
 * @param height output height in pixels
 * @param initImage img2img: the image to start from
 * @param strength img2img: how much of the schedule runs
 * @param numImages {@code num_images_per_prompt}
 * @param tiling MultiDiffusion tiling
 * @param output the PNG to write; several images become {@code name-0.png}, {@code name-1.png}, ...
 * @param controlImage ControlNet: the control image
 * @param controlScale ControlNet: {@code controlnet_conditioning_scale}
 */
public record GenerationOptions(String prompt, String negative, Integer steps, Double guidance, Long seed,
        Integer width, Integer height, Path initImage, Double strength, Integer numImages, DenoiseTiling tiling,
        Path output, Path controlImage, Double controlScale) {

    public GenerationOptions {
        if (prompt == null) {
            throw new IllegalArgumentException("a prompt is needed (--prompt)");
        }
        if ((width == null) != (height == null)) {
            throw new IllegalArgumentException("give both width and height, or neither");
        }
    }

    /** Just a prompt and an output file. */
    public static GenerationOptions of(String prompt, Path output) {
        return new GenerationOptions(prompt, null, null, null, null, null, null, null, null, null, null, output, null,
                null);
    }
}
