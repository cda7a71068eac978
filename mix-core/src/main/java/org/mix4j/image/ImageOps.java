package org.mix4j.image;

import java.util.Arrays;
import org.mix4j.api.RgbImage;

/**
 * Geometry on {@link RgbImage}s with PIL and Hugging Face semantics: crops that may reach outside
 * the image (filled with black, as {@code Image.crop} does), solid canvases, pasting at an offset,
 * padding, and the processors' center crop. Used by the processors and by tiling (anyres).
 */
public final class ImageOps {

    private ImageOps() {}

    /**
     * The {@code width} x {@code height} region whose top-left corner is ({@code left}, {@code top}),
     * as PIL's {@code crop((left, top, left + width, top + height))}: pixels outside the image are black.
     */
    public static RgbImage crop(RgbImage image, int left, int top, int width, int height) {
        return paste(canvas(width, height, 0, 0, 0), image, -left, -top);
    }

    /** A {@code width} x {@code height} image of one color. */
    public static RgbImage canvas(int width, int height, int r, int g, int b) {
        checkColor(r, g, b);
        byte[] px = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        if (r != 0 || g != 0 || b != 0) {
            for (int i = 0; i < px.length; i += 3) {
                px[i] = (byte) r;
                px[i + 1] = (byte) g;
                px[i + 2] = (byte) b;
            }
        }
        return new RgbImage(width, height, px);
    }

    /**
     * A copy of {@code background} with {@code image} pasted so that its top-left pixel lands at
     * ({@code x}, {@code y}); parts falling outside the background are dropped (PIL {@code paste}).
     */
    public static RgbImage paste(RgbImage background, RgbImage image, int x, int y) {
        byte[] out = background.pixels().clone();
        int bw = background.width();
        int x0 = Math.max(0, x);
        int x1 = (int) Math.min(bw, (long) x + image.width());
        int y0 = Math.max(0, y);
        int y1 = (int) Math.min(background.height(), (long) y + image.height());
        if (x1 > x0) {
            int rowBytes = (x1 - x0) * 3;
            for (int row = y0; row < y1; row++) {
                int src = ((row - y) * image.width() + (x0 - x)) * 3;
                System.arraycopy(image.pixels(), src, out, (row * bw + x0) * 3, rowBytes);
            }
        }
        return new RgbImage(bw, background.height(), out);
    }

    /**
     * {@code image} placed at ({@code left}, {@code top}) on a {@code width} x {@code height}
     * canvas of color ({@code r}, {@code g}, {@code b}).
     */
    public static RgbImage pad(RgbImage image, int width, int height, int left, int top, int r, int g, int b) {
        return paste(canvas(width, height, r, g, b), image, left, top);
    }

    /**
     * Hugging Face {@code center_crop}: a {@code height} x {@code width} window with
     * {@code top = (h - height) // 2} and {@code left = (w - width) // 2} (floor division), where
     * an image smaller than the window is zero-padded around its center first. Both cases reduce to
     * one crop at the floor-divided offsets, with black outside the image.
     */
    public static RgbImage centerCrop(RgbImage image, int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("crop size must be positive, got " + height + "x" + width);
        }
        int top = Math.floorDiv(image.height() - height, 2);
        int left = Math.floorDiv(image.width() - width, 2);
        if (top == 0 && left == 0 && height == image.height() && width == image.width()) {
            return image;
        }
        return crop(image, left, top, width, height);
    }

    /** The pixels in channel-first order, {@code [3, H, W]}, as 0..255 values. */
    public static byte[] toChw(RgbImage image) {
        int plane = image.width() * image.height();
        byte[] src = image.pixels();
        byte[] out = new byte[plane * 3];
        for (int i = 0; i < plane; i++) {
            out[i] = src[3 * i];
            out[plane + i] = src[3 * i + 1];
            out[2 * plane + i] = src[3 * i + 2];
        }
        return out;
    }

    /** Whether two images have the same size and pixels. */
    public static boolean samePixels(RgbImage a, RgbImage b) {
        return a.width() == b.width() && a.height() == b.height() && Arrays.equals(a.pixels(), b.pixels());
    }

    private static void checkColor(int r, int g, int b) {
        if ((r | g | b) < 0 || r > 255 || g > 255 || b > 255) {
            throw new IllegalArgumentException("color components must be 0..255, got (" + r + ", " + g + ", " + b + ")");
        }
    }
}
