package org.mix4j.image;

import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.Node;

/** What PIL's PNG plugin decides from IHDR that the decoded raster no longer shows. */
final class PngHeader {

    private PngHeader() {}

    /**
     * Whether the file is 16-bit grayscale (colour type 0), which PIL opens as mode I and clips to
     * 255 when converting to RGB. The JDK may have expanded a tRNS chunk into an alpha band, so
     * the raster alone cannot tell.
     */
    static boolean isGray16(ImageReader reader) throws IOException {
        Node ihdr = MetadataNodes.find(tree(reader), "IHDR");
        return "Grayscale".equals(MetadataNodes.attribute(ihdr, "colorType", ""))
                && MetadataNodes.intAttribute(ihdr, "bitDepth", 8) == 16;
    }

    /**
     * Entries of the PLTE chunk, or -1 without one, read from the chunk headers (the JDK pads the
     * palette to 2^bits entries, metadata included). PIL looks indices past the end up in its
     * default gray ramp, where the padded palette has black. Leaves the stream where it was.
     */
    static int paletteEntries(ImageInputStream in) throws IOException {
        in.mark();
        try {
            in.seek(8); // signature
            while (true) {
                long length = in.readUnsignedInt();
                int type = in.readInt();
                if (type == 0x504C5445) { // PLTE
                    return (int) Math.min(256, length / 3);
                }
                if (type == 0x49444154 || type == 0x49454E44) { // IDAT, IEND: PLTE must come earlier
                    return -1;
                }
                in.skipBytes(length + 4); // data and CRC
            }
        } catch (java.io.EOFException e) {
            return -1;
        } finally {
            in.reset();
        }
    }

    private static Node tree(ImageReader reader) throws IOException {
        return MetadataNodes.tree(reader.getImageMetadata(0), "javax_imageio_png_1.0");
    }
}
