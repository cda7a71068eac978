package org.mix4j.api;

import java.util.Objects;

/**
 * An 8-bit RGB image in row-major, interleaved {@code [height, width, 3]} order, the layout PIL
 * and the Hugging Face processors work in. Immutable by convention: operations return new images.
 */
public record RgbImage(int width, int height, byte[] pixels) {

    public RgbImage {
        Objects.requireNonNull(pixels, "pixels");
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if ((long) width * height * 3 != pixels.length) {
            throw new IllegalArgumentException("image " + width + "x" + height + " needs "
                    + ((long) width * height * 3) + " bytes, got " + pixels.length);
        }
    }

    /** Channel {@code c} (0 = R) of pixel ({@code x}, {@code y}) as 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xff;
    }
}
