package org.mix4j.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.mix4j.api.RgbImage;

/**
 * Reads PNG, JPEG, BMP and GIF files (first frame) into {@link RgbImage}s with the pixels PIL's
 * {@code Image.open(f).convert("RGB")} gives. The declared size is checked against a pixel limit
 * before any pixel data is decoded, so a tiny file declaring a huge image is refused at once.
 * Every failure is an {@link ImageDecodeException} naming the file.
 */
public final class ImageDecoder {

    /** PIL's {@code Image.MAX_IMAGE_PIXELS}: {@code 1024 * 1024 * 1024 // 4 // 3}. */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    private final long maxPixels;

    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS);
    }

    /** @param maxPixels largest accepted {@code width * height} */
    public ImageDecoder(long maxPixels) {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("max pixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
    }

    /** Reads {@code file} with the default pixel limit. */
    public static RgbImage readRgb(Path file) {
        return new ImageDecoder().read(file);
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** Decodes {@code file} (format detected from its content, not its name). */
    public RgbImage read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ImageDecodeException(file + ": no such image file");
        }
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            return decode(in, file.toString());
        } catch (IOException e) {
            throw new ImageDecodeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Decodes an in-memory file; {@code name} is used in error messages. */
    public RgbImage read(byte[] data, String name) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            return decode(in, name);
        } catch (IOException e) {
            throw new ImageDecodeException(name + ": cannot read: " + e.getMessage(), e);
        }
    }

    private RgbImage decode(ImageInputStream in, String name) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new ImageDecodeException(name + ": not a supported image (PNG, JPEG, BMP or GIF expected)");
        }
        ImageReader reader = readers.next();
        String format = "image";
        List<String> warnings = new ArrayList<>();
        try {
            format = reader.getFormatName().toLowerCase(Locale.ROOT);
            int pngPalette = format.equals("png") ? PngChunks.check(in, name) : -1;
            reader.setInput(in, true, false);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            checkSize(reader, format, name);
            RgbImage image = switch (format) {
                case "gif" -> GifFrames.firstFrame(reader);
                case "jpeg", "jpg" -> JpegPixels.read(reader);
                case "png" -> RasterPixels.toRgb(reader.read(0), PngHeader.isGray16(reader),
                        pngPalette);
                default -> RasterPixels.toRgb(reader.read(0), false, -1);
            };
            for (String w : warnings) {
                if (isTruncation(w)) {
                    throw new ImageDecodeException(name + ": " + format + " data is truncated (" + w + ")");
                }
            }
            return image;
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // a short file ends in an EOFException without a message; no class names for users
            String why = e instanceof java.io.EOFException ? "unexpected end of file"
                    : e.getMessage() == null ? "no details (run with --debug)" : e.getMessage();
            if (e.getCause() != null && e.getCause().getMessage() != null && !why.contains(e.getCause().getMessage())) {
                why += ": " + e.getCause().getMessage();
            }
            throw new ImageDecodeException(name + ": cannot decode " + format + " image (corrupt or truncated?): "
                    + why, e);
        } finally {
            reader.dispose();
        }
    }

    /** Refuses a declared size over the limit; reads only the header. */
    private void checkSize(ImageReader reader, String format, String name) throws IOException {
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (format.equals("gif")) {
            int[] screen = GifFrames.screenSize(reader);
            w = Math.max(w, screen[0]);
            h = Math.max(h, screen[1]);
        }
        if (w < 1 || h < 1) {
            throw new ImageDecodeException(name + ": invalid image size " + w + "x" + h);
        }
        if (w * h > maxPixels) {
            throw new ImageTooLargeException(name, w, h, maxPixels);
        }
    }

    /** libjpeg and the JDK report a short file as a warning and return gray-filled pixels. */
    private static boolean isTruncation(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return w.contains("premature end") || w.contains("truncated") || w.contains("missing eoi");
    }
}
