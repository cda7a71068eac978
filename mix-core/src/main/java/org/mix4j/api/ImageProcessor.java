package org.mix4j.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Turns decoded images into the normalized pixel tensor a vision encoder expects, exactly as the
 * checkpoint's {@code preprocessor_config.json} says (resize, crop, rescale, normalize).
 */
public interface ImageProcessor {

    /** Resize and crop only, as uint8 RGB: the step that must match PIL bit for bit. */
    RgbImage resizeAndCrop(RgbImage image);

    /**
     * Full preprocessing of a batch.
     *
     * @return float32 {@code [B, 3, H, W]} attached to {@code manager}
     */
    NDArray preprocess(List<RgbImage> images, NDManager manager);

    /** Height and width of the processed images, {@code [H, W]}. */
    int[] outputSize();
}
