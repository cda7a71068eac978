package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.mix4j.api.RgbImage;

/**
 * Pixels in and out of the pipeline, as diffusers' {@code VaeImageProcessor} does it: uint8 to
 * [-1, 1] for the VAE encoder, the decoder's output to [0, 1] and to uint8, and PNG files.
 */
public final class Images {

    private Images() {}

    /**
     * {@code float32(pixel) / 255 * 2 - 1} as {@code [1, 3, H, W]} (diffusers: {@code pil_to_numpy}
     * then {@code normalize}).
     */
    public static NDArray pixelValues(RgbImage image, NDManager manager) {
        return channelsFirst(image, true, manager);
    }

    /**
     * A ControlNet's conditioning image: {@code float32(pixel) / 255} as {@code [1, 3, H, W]}, in
     * [0, 1] (diffusers' control image processor does not normalise).
     */
    public static NDArray controlValues(RgbImage image, NDManager manager) {
        return channelsFirst(image, false, manager);
    }

    private static NDArray channelsFirst(RgbImage image, boolean signed, NDManager manager) {
        int h = image.height();
        int w = image.width();
        float[] chw = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    float unit = (float) image.get(x, y, c) / 255f;
                    chw[(c * h + y) * w + x] = signed ? 2f * unit - 1f : unit;
                }
            }
        }
        return manager.create(chw, new Shape(1, 3, h, w));
    }

    /**
     * The decoder's output {@code [N, 3, H, W]} as {@code (x / 2 + 0.5).clamp(0, 1)} in
     * {@code [N, H, W, 3]} (diffusers: {@code denormalize}, then NHWC).
     */
    public static NDArray postprocess(NDArray decoded) {
        return decoded.div(2f).add(0.5f).clip(0f, 1f).transpose(0, 2, 3, 1);
    }

    /**
     * {@code [N, H, W, 3]} in [0, 1] to 8-bit images: {@code round(x * 255)} in float32, halves to
     * even, as numpy's {@code (images * 255).round()} in diffusers' {@code numpy_to_pil}.
     */
    public static List<RgbImage> toRgb(NDArray image) {
        Shape s = image.getShape();
        if (s.dimension() != 4 || s.get(3) != 3) {
            throw new IllegalArgumentException("expected images [N, H, W, 3], got " + s);
        }
        int n = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        float[] values = image.toFloatArray();
        int size = h * w * 3;
        List<RgbImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] pixels = new byte[size];
            for (int k = 0; k < size; k++) {
                float v = values[i * size + k] * 255f;
                pixels[k] = (byte) (int) Math.rint(v);
            }
            out.add(new RgbImage(w, h, pixels));
        }
        return out;
    }

    /** Writes an 8-bit RGB PNG, creating missing parent directories. */
    public static void writePng(RgbImage image, Path file) {
        BufferedImage buffered = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = buffered.getRaster();
        int[] rgb = new int[3];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                rgb[0] = image.get(x, y, 0);
                rgb[1] = image.get(x, y, 1);
                rgb[2] = image.get(x, y, 2);
                raster.setPixel(x, y, rgb);
            }
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(buffered, "png", file.toFile())) {
                throw new IOException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
