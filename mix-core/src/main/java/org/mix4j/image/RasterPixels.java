package org.mix4j.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import org.mix4j.api.RgbImage;

/**
 * A decoded {@link BufferedImage} turned into RGB the way PIL's {@code convert("RGB")} treats the
 * same file. The raster's samples are read directly, never through {@code getRGB}, so no color
 * space (gray gamma, ICC profile) is applied, as PIL applies none. Alpha is dropped; palettes are
 * looked up; samples of other depths become 8 bits as PIL's unpackers do (16-bit: high byte,
 * except PNG 16-bit grayscale, which PIL opens as mode I and clips to 255; 1..7-bit: scaled).
 */
final class RasterPixels {

    private RasterPixels() {}

    /**
     * @param clipGray16 the source is a 16-bit grayscale PNG (PIL mode I): clip, do not shift
     * @param paletteEntries palette entries the file really has (the JDK pads to 2^bits), or -1
     */
    static RgbImage toRgb(BufferedImage image, boolean clipGray16, int paletteEntries) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (cm instanceof IndexColorModel icm) {
            byte[] palette = palette(icm);
            if (paletteEntries >= 0 && paletteEntries * 3 < palette.length) {
                palette = java.util.Arrays.copyOf(palette, paletteEntries * 3);
            }
            return ImageModes.toRgb("P", w, h, indices(raster), palette);
        }
        int colors = cm.getNumColorComponents();
        int space = cm.getColorSpace().getType();
        if (!(space == ColorSpace.TYPE_GRAY && colors == 1) && !(space == ColorSpace.TYPE_RGB && colors == 3)) {
            throw new IllegalArgumentException("unsupported color model with " + colors + " components (color space type "
                    + space + ")");
        }
        byte[] out = new byte[Math.multiplyExact(w * 3, h)];
        int[] row = new int[w];
        for (int c = 0; c < 3; c++) {
            int band = colors == 1 ? 0 : c;
            int bits = raster.getSampleModel().getSampleSize(band);
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, band, row);
                for (int x = 0; x < w; x++) {
                    out[(y * w + x) * 3 + c] = (byte) to8Bits(row[x], bits, clipGray16);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Palette indices of band 0, one byte each. */
    static byte[] indices(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[Math.multiplyExact(w, h)];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                if (row[x] > 255) {
                    throw new IllegalArgumentException("palette index " + row[x] + " does not fit 8 bits");
                }
                out[y * w + x] = (byte) row[x];
            }
        }
        return out;
    }

    /** The palette's RGB triplets, alpha ignored. */
    static byte[] palette(IndexColorModel icm) {
        int n = Math.min(icm.getMapSize(), 256);
        byte[] out = new byte[n * 3];
        for (int i = 0; i < n; i++) {
            out[3 * i] = (byte) icm.getRed(i);
            out[3 * i + 1] = (byte) icm.getGreen(i);
            out[3 * i + 2] = (byte) icm.getBlue(i);
        }
        return out;
    }

    private static int to8Bits(int v, int bits, boolean clip16) {
        if (bits == 8) {
            return v;
        }
        if (bits == 16) {
            return clip16 ? Math.min(v, 255) : v >>> 8;
        }
        if (bits < 8) {
            return v * 255 / ((1 << bits) - 1);
        }
        return v >>> (bits - 8);
    }
}
