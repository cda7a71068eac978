package org.mix4j.image;

import java.util.List;
import java.util.Locale;
import org.mix4j.api.RgbImage;

/**
 * PIL's {@code convert("RGB")} from the other 8-bit modes, on raw interleaved pixel arrays (the
 * layout of {@code numpy.asarray(image)}): L is replicated to three channels, P is looked up in its
 * palette, LA/RGBA/PA lose their alpha without compositing, CMYK uses libImaging's
 * {@code cmyk2rgb}, and mode "1" maps non-zero to 255.
 */
public final class ImageModes {

    /** Modes {@link #toRgb} accepts. */
    public static final List<String> MODES = List.of("RGB", "RGBX", "RGBA", "L", "LA", "1", "P", "PA", "CMYK");

    private ImageModes() {}

    /**
     * Converts interleaved pixels of PIL {@code mode} to RGB.
     *
     * @param data {@code [H, W, channels]} bytes of the mode (P and PA: palette indices, then alpha)
     * @param palette for P and PA: up to 256 RGB triplets; entries past its end are PIL's default gray ramp
     */
    public static RgbImage toRgb(String mode, int width, int height, byte[] data, byte[] palette) {
        String m = mode.toUpperCase(Locale.ROOT);
        int channels = switch (m) {
            case "RGB" -> 3;
            case "RGBX", "RGBA", "CMYK" -> 4;
            case "L", "1", "P" -> 1;
            case "LA", "PA" -> 2;
            default -> throw new IllegalArgumentException("unsupported image mode '" + mode + "'; valid: " + MODES);
        };
        long expected = (long) width * height * channels;
        if (data.length != expected) {
            throw new IllegalArgumentException("mode " + m + " image of " + width + "x" + height + " needs "
                    + expected + " bytes ([H, W" + (channels == 1 ? "" : ", " + channels) + "]), got " + data.length);
        }
        if ((m.equals("P") || m.equals("PA")) && palette == null) {
            throw new IllegalArgumentException("mode " + m + " needs a palette");
        }
        byte[] lut = m.startsWith("P") ? paletteLut(palette) : null;
        byte[] out = new byte[width * height * 3];
        for (int i = 0, n = width * height; i < n; i++) {
            int o = 3 * i;
            switch (m) {
                case "RGB", "RGBX", "RGBA" -> System.arraycopy(data, channels * i, out, o, 3);
                case "L", "LA" -> fill(out, o, data[channels * i]);
                case "1" -> fill(out, o, (byte) (data[i] == 0 ? 0 : 255));
                case "P", "PA" -> System.arraycopy(lut, 3 * (data[channels * i] & 0xff), out, o, 3);
                default -> cmyk(data, 4 * i, out, o);
            }
        }
        return new RgbImage(width, height, out);
    }

    /** 256 RGB entries: the given palette, then PIL's default gray ramp for indices it lacks. */
    static byte[] paletteLut(byte[] palette) {
        if (palette.length % 3 != 0 || palette.length > 768) {
            throw new IllegalArgumentException("palette must hold at most 256 RGB triplets, got " + palette.length
                    + " bytes");
        }
        byte[] lut = new byte[768];
        for (int i = 0; i < 256; i++) {
            fill(lut, 3 * i, (byte) i);
        }
        System.arraycopy(palette, 0, lut, 0, palette.length);
        return lut;
    }

    private static void fill(byte[] out, int o, byte v) {
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
    }

    /** libImaging {@code cmyk2rgb}: {@code 255 - k} scaled by {@code 1 - c/255}, with its rounding. */
    private static void cmyk(byte[] in, int i, byte[] out, int o) {
        int nk = 255 - (in[i + 3] & 0xff);
        for (int c = 0; c < 3; c++) {
            int v = nk - mulDiv255(in[i + c] & 0xff, nk);
            out[o + c] = (byte) Math.max(0, Math.min(255, v));
        }
    }

    private static int mulDiv255(int a, int b) {
        int tmp = a * b + 128;
        return ((tmp >> 8) + tmp) >> 8;
    }
}
