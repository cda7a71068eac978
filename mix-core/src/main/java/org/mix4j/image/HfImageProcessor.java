package org.mix4j.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;

/**
 * Hugging Face's CLIPImageProcessor and SiglipImageProcessor (transformers 4.47,
 * {@code image_processing_clip.py}, {@code image_processing_siglip.py}, {@code image_transforms.py})
 * on decoded RGB images: PIL resize of the uint8 image, center crop (CLIP), then
 * {@code float32(x * rescale_factor)} in double and {@code (x - mean) / std} in float32.
 */
public final class HfImageProcessor implements ImageProcessor {

    private final HfImageProcessorConfig config;
    private final SizeSpec size;
    private final SizeSpec crop;
    private final Resample filter;
    /** The float32 value of each uint8 level per channel: rescale and normalise are per-pixel maps. */
    private final float[][] levels = new float[3][256];

    public HfImageProcessor(HfImageProcessorConfig config) {
        this.config = config;
        this.size = config.sizeSpec();
        this.crop = config.centerCrop() ? config.cropSpec() : null;
        this.filter = config.filter();
        float[] mean = config.mean();
        float[] std = config.std();
        for (int c = 0; c < 3; c++) {
            for (int u = 0; u < 256; u++) {
                // numpy: rescale multiplies in float64 and casts once; normalize stays in float32
                float v = config.doRescale() ? (float) (u * config.rescaleFactor()) : u;
                levels[c][u] = config.doNormalize() ? (v - mean[c]) / std[c] : v;
            }
        }
    }

    public HfImageProcessorConfig config() {
        return config;
    }

    @Override
    public RgbImage resizeAndCrop(RgbImage image) {
        RgbImage out = image;
        if (config.doResize()) {
            int[] hw = resizeTarget(image.height(), image.width());
            out = Resampler.resize(out, hw[1], hw[0], filter);
        }
        if (crop != null) {
            out = ImageOps.centerCrop(out, crop.height(), crop.width());
        }
        return out;
    }

    /**
     * {@code [height, width]} after resizing, as {@code get_resize_output_image_size}: with a
     * shortest edge the other edge is {@code int(shortest_edge * long / short)}, truncated.
     */
    public int[] resizeTarget(int height, int width) {
        if (size.shortestEdge() > 0) {
            int edge = size.shortestEdge();
            int shortSide = Math.min(height, width);
            int longSide = Math.max(height, width);
            int other = (int) ((double) ((long) edge * longSide) / shortSide);
            return width <= height ? new int[] {other, edge} : new int[] {edge, other};
        }
        return new int[] {size.height(), size.width()};
    }

    @Override
    public NDArray preprocess(List<RgbImage> images, NDManager manager) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to preprocess");
        }
        List<RgbImage> processed = new ArrayList<>(images.size());
        for (RgbImage image : images) {
            processed.add(resizeAndCrop(image));
        }
        RgbImage first = processed.get(0);
        int h = first.height();
        int w = first.width();
        for (int i = 1; i < processed.size(); i++) {
            RgbImage p = processed.get(i);
            if (p.height() != h || p.width() != w) {
                throw new IllegalArgumentException("images 0 and " + i + " preprocess to different sizes (" + w + "x" + h
                        + " and " + p.width() + "x" + p.height() + ") and cannot be batched; enable center crop or "
                        + "use a fixed size, or preprocess them one at a time");
            }
        }
        int plane = h * w;
        float[] data = new float[processed.size() * 3 * plane];
        for (int b = 0; b < processed.size(); b++) {
            byte[] px = processed.get(b).pixels();
            for (int c = 0; c < 3; c++) {
                float[] lut = levels[c];
                int o = (b * 3 + c) * plane;
                for (int i = 0; i < plane; i++) {
                    data[o + i] = lut[px[3 * i + c] & 0xff];
                }
            }
        }
        return manager.create(data, new Shape(processed.size(), 3, h, w)); // [B, 3, H, W]
    }

    @Override
    public int[] outputSize() {
        if (crop != null) {
            return new int[] {crop.height(), crop.width()};
        }
        if (!config.doResize() || size.shortestEdge() > 0) {
            throw new IllegalStateException("the output size of " + config + " depends on the input image");
        }
        return new int[] {size.height(), size.width()};
    }

    @Override
    public String toString() {
        return config.toString();
    }
}
