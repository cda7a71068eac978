package org.mix4j.image;

/**
 * An image whose declared size exceeds the decoder's pixel limit, refused before any pixel is
 * decoded (a "decompression bomb", as PIL calls it).
 */
public final class ImageTooLargeException extends ImageDecodeException {

    private final long width;
    private final long height;
    private final long limit;

    public ImageTooLargeException(String source, long width, long height, long limit) {
        super(source + ": image size " + width + "x" + height + " (" + width * height + " pixels) exceeds the limit of "
                + limit + " pixels; it could be a decompression bomb. Raise the limit (ImageDecoder max pixels) "
                + "only for files you trust.");
        this.width = width;
        this.height = height;
        this.limit = limit;
    }

    public long width() {
        return width;
    }

    public long height() {
        return height;
    }

    public long limit() {
        return limit;
    }
}
