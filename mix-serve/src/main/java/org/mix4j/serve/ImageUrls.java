package org.mix4j.serve;

import java.util.Base64;
import java.util.Locale;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;

/**
 * Images of a request. Only {@code data:image/png;base64,...} and {@code data:image/jpeg;base64,...}
 * URLs are read: the server fetches nothing over the network and opens no local file, so a request
 * cannot make it reach a host or a path the caller could not.
 */
final class ImageUrls {

    private ImageUrls() {}

    /** @param param the field the URL came from, for errors */
    static RgbImage decode(String url, String param, ImageDecoder decoder) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("data:")) {
            String scheme = lower.contains(":") ? lower.substring(0, lower.indexOf(':')) + ": URLs" : "this URL";
            throw ApiError.invalid(param, param + ": " + scheme + " are not fetched by this server; send the image "
                    + "inline as data:image/png;base64,... or data:image/jpeg;base64,...");
        }
        int comma = url.indexOf(',');
        String header = comma < 0 ? lower : lower.substring(0, comma);
        if (comma < 0 || !header.endsWith(";base64")
                || !(header.startsWith("data:image/png") || header.startsWith("data:image/jpeg")
                        || header.startsWith("data:image/jpg"))) {
            throw ApiError.invalid(param, param + ": expected data:image/png;base64,... or data:image/jpeg;base64,..., got '"
                    + (header.length() > 40 ? header.substring(0, 40) + "..." : header) + "'");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(url.substring(comma + 1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, param + ": the base64 data is malformed: " + e.getMessage());
        }
        try {
            return decoder.read(bytes, param);
        } catch (RuntimeException e) {
            throw ApiError.invalid(param, param + ": " + e.getMessage());
        }
    }
}
