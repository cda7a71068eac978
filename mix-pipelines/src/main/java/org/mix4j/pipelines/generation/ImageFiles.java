package org.mix4j.pipelines.generation;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.FileImageOutputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.mix4j.api.RgbImage;

/**
 * Image files in the format their extension names ({@code .png}, {@code .jpg}, and whatever else
 * ImageIO writes for 8-bit RGB). PNGs carry the generation parameters in a {@code parameters} text
 * chunk, as Automatic1111 writes them, so an image can be reproduced from the file alone.
 */
public final class ImageFiles {

    /** The PNG text keyword A1111, ComfyUI readers and civitai look for. */
    public static final String PARAMETERS_KEY = "parameters";

    private static final ImageTypeSpecifier RGB = ImageTypeSpecifier.createFromBufferedImageType(
            BufferedImage.TYPE_3BYTE_BGR);
    private static final float JPEG_QUALITY = 0.95f;

    private ImageFiles() {}

    /** Lower-case extensions ImageIO can write 8-bit RGB images as (png, jpg, jpeg, bmp, gif, tif, ...). */
    public static Set<String> formats() {
        Set<String> out = new TreeSet<>();
        for (String suffix : ImageIO.getWriterFileSuffixes()) {
            if (writer(suffix.toLowerCase(Locale.ROOT)) != null) {
                out.add(suffix.toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** The extension of {@code file}, lower case, or "" when it has none. */
    public static String extension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    /** Whether images can be written under {@code file}'s extension. */
    public static boolean writable(Path file) {
        String ext = extension(file);
        return !ext.isEmpty() && writer(ext) != null;
    }

    /**
     * Writes {@code image} in the format of {@code file}'s extension, creating missing parent
     * directories; {@code parameters} (or {@code null}) goes into a PNG's {@code parameters} chunk.
     */
    public static void write(RgbImage image, Path file, String parameters) {
        String ext = extension(file);
        if (writer(ext) == null) {
            throw new IllegalArgumentException(file + ": cannot write ." + ext + " images; use one of " + formats());
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.deleteIfExists(file); // ImageIO leaves the old tail of a longer file otherwise
            // not ImageIO.createImageOutputStream: it prints the stack trace of a file it cannot create
            try (ImageOutputStream stream = new FileImageOutputStream(file.toFile())) {
                encode(image, ext, parameters, stream);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + reason(file, e), e);
        }
    }

    /**
     * The bytes of {@code image} as a PNG file, {@code parameters} (or {@code null}) in its
     * {@code parameters} chunk: the same bytes {@link #write} puts in a {@code .png} file.
     */
    public static byte[] png(RgbImage image, String parameters) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream stream = new MemoryCacheImageOutputStream(bytes)) {
            encode(image, "png", parameters, stream);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a PNG: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }

    private static void encode(RgbImage image, String ext, String parameters, ImageOutputStream stream)
            throws IOException {
        ImageWriter writer = writer(ext);
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (param.canWriteCompressed() && (ext.equals("jpg") || ext.equals("jpeg"))) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(JPEG_QUALITY);
            }
            IIOMetadata metadata = writer.getDefaultImageMetadata(RGB, param);
            if (parameters != null && ext.equals("png")) {
                addPngText(metadata, parameters);
            }
            writer.setOutput(stream);
            writer.write(null, new IIOImage(buffered(image), null, metadata), param);
        } finally {
            writer.dispose();
        }
    }

    /** Why {@code file} could not be written, without the JDK's habit of repeating the path. */
    private static String reason(Path file, IOException e) {
        if (e instanceof FileSystemException f) {
            // its message is only the path: a file where a folder should be, or one we may not write
            return f instanceof FileAlreadyExistsException ? f.getFile() + " is a file, not a directory"
                    : f instanceof AccessDeniedException ? f.getFile() + ": permission denied"
                    : f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "cannot be written");
        }
        // a FileNotFoundException says "FILE (Permission denied)"
        String why = String.valueOf(e.getMessage());
        String prefix = file.toFile().getPath() + " (";
        return why.startsWith(prefix) && why.endsWith(")") ? why.substring(prefix.length(), why.length() - 1) : why;
    }

    /** tEXt when the text is Latin-1 (what the PNG spec allows there), else UTF-8 iTXt, as PIL does. */
    private static void addPngText(IIOMetadata metadata, String text) throws IOException {
        String format = "javax_imageio_png_1.0";
        IIOMetadataNode root = new IIOMetadataNode(format);
        if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(text)) {
            IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
            entry.setAttribute("keyword", PARAMETERS_KEY);
            entry.setAttribute("value", text);
            IIOMetadataNode chunk = new IIOMetadataNode("tEXt");
            chunk.appendChild(entry);
            root.appendChild(chunk);
        } else {
            IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
            entry.setAttribute("keyword", PARAMETERS_KEY);
            entry.setAttribute("compressionFlag", "FALSE");
            entry.setAttribute("compressionMethod", "0");
            entry.setAttribute("languageTag", "");
            entry.setAttribute("translatedKeyword", "");
            entry.setAttribute("text", text);
            IIOMetadataNode chunk = new IIOMetadataNode("iTXt");
            chunk.appendChild(entry);
            root.appendChild(chunk);
        }
        metadata.mergeTree(format, root);
    }

    private static ImageWriter writer(String ext) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersBySuffix(ext);
        while (writers.hasNext()) {
            ImageWriter w = writers.next();
            if (w.getOriginatingProvider().canEncodeImage(RGB)) {
                return w;
            }
        }
        return null;
    }

    private static BufferedImage buffered(RgbImage image) {
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
        return buffered;
    }
}
