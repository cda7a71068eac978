package org.mix4j.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import javax.imageio.ImageReader;
import org.mix4j.api.RgbImage;
import org.w3c.dom.Node;

/**
 * The first frame of a GIF as PIL shows it: an image of the logical screen size (grown to hold the
 * frame), the frame's palette indices at its offset, the rest filled with the transparent index
 * (or 0), then looked up in the frame's palette.
 */
final class GifFrames {

    private GifFrames() {}

    /** The logical screen's {@code [width, height]}, {@code [0, 0]} when absent. */
    static int[] screenSize(ImageReader reader) throws IOException {
        Node stream = MetadataNodes.tree(reader.getStreamMetadata(), "javax_imageio_gif_stream_1.0");
        Node lsd = MetadataNodes.find(stream, "LogicalScreenDescriptor");
        return new int[] {MetadataNodes.intAttribute(lsd, "logicalScreenWidth", 0),
            MetadataNodes.intAttribute(lsd, "logicalScreenHeight", 0)};
    }

    static RgbImage firstFrame(ImageReader reader) throws IOException {
        BufferedImage frame = reader.read(0);
        if (!(frame.getColorModel() instanceof IndexColorModel icm)) {
            return RasterPixels.toRgb(frame, false, -1);
        }
        Node image = MetadataNodes.tree(reader.getImageMetadata(0), "javax_imageio_gif_image_1.0");
        Node descriptor = MetadataNodes.find(image, "ImageDescriptor");
        Node control = MetadataNodes.find(image, "GraphicControlExtension");
        int left = MetadataNodes.intAttribute(descriptor, "imageLeftPosition", 0);
        int top = MetadataNodes.intAttribute(descriptor, "imageTopPosition", 0);
        int fw = frame.getWidth();
        int fh = frame.getHeight();
        int[] screen = screenSize(reader);
        int width = Math.max(screen[0], left + fw);
        int height = Math.max(screen[1], top + fh);
        boolean transparent = "TRUE".equalsIgnoreCase(MetadataNodes.attribute(control, "transparentColorFlag", "FALSE"));
        byte fill = (byte) (transparent ? MetadataNodes.intAttribute(control, "transparentColorIndex", 0) : 0);
        byte[] frameIndices = RasterPixels.indices(frame.getRaster());
        byte[] indices = frameIndices;
        if (width != fw || height != fh) {
            indices = new byte[Math.multiplyExact(width, height)];
            java.util.Arrays.fill(indices, fill);
            for (int y = 0; y < fh; y++) {
                System.arraycopy(frameIndices, y * fw, indices, (top + y) * width + left, fw);
            }
        }
        return ImageModes.toRgb("P", width, height, indices, RasterPixels.palette(icm));
    }
}
