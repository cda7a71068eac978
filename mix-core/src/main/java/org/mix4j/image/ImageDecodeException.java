package org.mix4j.image;

/** An image file that cannot be decoded: unknown format, corrupt or truncated data, or too large. */
public class ImageDecodeException extends RuntimeException {

    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
