package org.mix4j.image;

import java.io.IOException;
import javax.imageio.ImageReader;
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

    private static Node tree(ImageReader reader) throws IOException {
        return MetadataNodes.tree(reader.getImageMetadata(0), "javax_imageio_png_1.0");
    }
}
