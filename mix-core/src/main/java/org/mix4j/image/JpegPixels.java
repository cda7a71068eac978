package org.mix4j.image;

import java.awt.image.Raster;
import java.io.IOException;
import javax.imageio.ImageReader;
import org.mix4j.api.RgbImage;
import org.w3c.dom.Node;

/**
 * JPEG pixels as PIL sees them. Gray and YCbCr files decode normally. Four-component files (CMYK,
 * or YCCK with an Adobe transform of 2), which the JDK cannot turn into a BufferedImage, are read
 * as a raw raster: PIL opens them as CMYK assuming Adobe's inverted storage ({@code CMYK;I}), so
 * stored CMYK is inverted, and YCCK is first converted with libjpeg's fixed-point YCbCr tables.
 * The result then goes through PIL's {@code cmyk2rgb}.
 */
final class JpegPixels {

    private static final int SCALE_BITS = 16;
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);

    private JpegPixels() {}

    static RgbImage read(ImageReader reader) throws IOException {
        Node tree = MetadataNodes.tree(reader.getImageMetadata(0), "javax_imageio_jpeg_image_1.0");
        int components = MetadataNodes.count(MetadataNodes.find(tree, "sof"), "componentSpec");
        if (components != 4) {
            return RasterPixels.toRgb(reader.read(0), false, -1);
        }
        int transform = MetadataNodes.intAttribute(MetadataNodes.find(tree, "app14Adobe"), "transform", -1);
        Raster raw = reader.readRaster(0, null);
        int w = raw.getWidth();
        int h = raw.getHeight();
        byte[] cmyk = new byte[Math.multiplyExact(w * 4, h)];
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raw.getPixel(raw.getMinX() + x, raw.getMinY() + y, px);
                int o = (y * w + x) * 4;
                if (transform == 2) {
                    // libjpeg gives CMYK = 255 - RGB(Y, Cb, Cr) and K; PIL's inversion undoes the first part
                    ycc(px[0], px[1], px[2], cmyk, o);
                    cmyk[o + 3] = (byte) (255 - px[3]);
                } else {
                    for (int c = 0; c < 4; c++) {
                        cmyk[o + c] = (byte) (255 - px[c]);
                    }
                }
            }
        }
        return ImageModes.toRgb("CMYK", w, h, cmyk, null);
    }

    /** libjpeg's {@code ycc_rgb_convert} for one pixel, written to {@code out[o..o+2]}. */
    private static void ycc(int y, int cb, int cr, byte[] out, int o) {
        int crv = cr - 128;
        int cbv = cb - 128;
        int red = y + ((fix(1.40200) * crv + ONE_HALF) >> SCALE_BITS);
        int green = y + ((-fix(0.34414) * cbv + ONE_HALF - fix(0.71414) * crv) >> SCALE_BITS);
        int blue = y + ((fix(1.77200) * cbv + ONE_HALF) >> SCALE_BITS);
        out[o] = (byte) clamp(red);
        out[o + 1] = (byte) clamp(green);
        out[o + 2] = (byte) clamp(blue);
    }

    private static int fix(double x) {
        return (int) (x * (1 << SCALE_BITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
