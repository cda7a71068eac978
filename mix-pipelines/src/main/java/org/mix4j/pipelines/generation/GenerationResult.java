package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.mix4j.api.RgbImage;

/**
 * What a run made, attached to the caller's manager; {@link #close()} frees it early.
 *
 * @param latents the final latents {@code [N, C, h, w]}
 * @param decoded the VAE output {@code [N, 3, H, W]}, about [-1, 1]
 * @param image {@code clamp(decoded / 2 + 0.5, 0, 1)} as {@code [N, H, W, 3]} (diffusers'
 *     {@code output_type="np"})
 */
public record GenerationResult(NDArray latents, NDArray decoded, NDArray image) implements AutoCloseable {

    /** The images as 8-bit RGB, as diffusers' {@code output_type="pil"} rounds them. */
    public List<RgbImage> images() {
        return Images.toRgb(image);
    }

    @Override
    public void close() {
        latents.close();
        decoded.close();
        image.close();
    }
}
