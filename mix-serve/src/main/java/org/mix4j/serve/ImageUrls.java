package org.mix4j.serve;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;

/**
 * Images of a request. {@code data:image/png;base64,...} and {@code data:image/jpeg;base64,...} URLs
 * are always read. {@code file:} URLs are opened only inside the folders, and {@code http(s):} URLs
 * fetched only from the hosts, that the operator's {@link ImageSources} name; by default none, so a
 * request cannot make the server reach a host or a path the caller could not.
 */
final class ImageUrls {

    private final ImageSources sources;
    private final List<Path> folders; // real paths of the allowed folders
    private final ImageDecoder decoder = new ImageDecoder();
    private volatile HttpClient http;

    /** @throws IllegalArgumentException naming the entry when an allowed folder does not exist */
    ImageUrls(ImageSources sources) {
        this.sources = sources;
        List<Path> real = new ArrayList<>();
        for (int i = 0; i < sources.files().size(); i++) {
            Path p = Path.of(sources.files().get(i));
            try {
                real.add(p.toRealPath());
            } catch (IOException e) {
                throw new IllegalArgumentException("image_sources.files[" + i + "]: the folder " + p + " does not exist");
            }
            if (!Files.isDirectory(real.get(i))) {
                throw new IllegalArgumentException("image_sources.files[" + i + "]: " + p + " is not a folder");
            }
        }
        this.folders = List.copyOf(real);
    }

    /** Decodes bytes the request carried itself (an upload); errors name {@code param}. */
    RgbImage read(byte[] bytes, String param) {
        try {
            return decoder.read(bytes, param);
        } catch (RuntimeException e) {
            throw ApiError.invalid(param, param + ": " + e.getMessage());
        }
    }

    /** @param param the field the URL came from, for errors */
    RgbImage decode(String url, String param) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) {
            return read(inline(url, lower, param), param);
        }
        if (lower.startsWith("file:")) {
            return read(file(url, param), param);
        }
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return read(fetch(url, param), param);
        }
        String scheme = lower.contains(":") ? lower.substring(0, lower.indexOf(':')) + ": URLs" : "this URL";
        throw ApiError.invalid(param, param + ": " + scheme + " are not read by this server; send the image "
                + "inline as data:image/png;base64,... or data:image/jpeg;base64,..." + allowedSuffix());
    }

    private byte[] inline(String url, String lower, String param) {
        int comma = url.indexOf(',');
        String header = comma < 0 ? lower : lower.substring(0, comma);
        if (comma < 0 || !header.endsWith(";base64")
                || !(header.startsWith("data:image/png") || header.startsWith("data:image/jpeg")
                        || header.startsWith("data:image/jpg"))) {
            throw ApiError.invalid(param, param + ": expected data:image/png;base64,... or data:image/jpeg;base64,..., got '"
                    + (header.length() > 40 ? header.substring(0, 40) + "..." : header) + "'");
        }
        try {
            return Base64.getDecoder().decode(url.substring(comma + 1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, param + ": the base64 data is malformed: " + e.getMessage());
        }
    }

    /** A {@code file:///...} URL's bytes, when its real path lies in an allowed folder. */
    private byte[] file(String url, String param) {
        if (folders.isEmpty()) {
            throw ApiError.invalid(param, param + ": file: URLs are not opened by this server (its image_sources.files "
                    + "is empty); send the image inline as data:image/png;base64,...");
        }
        Path path;
        try {
            URI uri = new URI(url);
            if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()) {
                throw ApiError.invalid(param, param + ": file: URLs name a local path (file:///folder/picture.png), "
                        + "not a host");
            }
            path = Path.of(uri);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw ApiError.invalid(param, param + ": not a valid file: URL (expected file:///folder/picture.png): "
                    + e.getMessage());
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw ApiError.invalid(param, param + ": no such file: " + path);
        } catch (IOException e) {
            throw ApiError.invalid(param, param + ": cannot open " + path + ": " + e.getMessage());
        }
        if (folders.stream().noneMatch(real::startsWith)) {
            throw ApiError.invalid(param, param + ": " + path + " is outside the folders this server reads images from "
                    + "(image_sources.files)");
        }
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw ApiError.invalid(param, param + ": " + path + " is not a file");
        }
        try {
            long size = Files.size(real);
            if (size > sources.maxBytes()) {
                throw ApiError.invalid(param, param + ": " + path + " has " + size + " bytes; this server reads at most "
                        + sources.maxBytes() + " (image_sources.max_bytes)");
            }
            return Files.readAllBytes(real);
        } catch (IOException e) {
            throw ApiError.invalid(param, param + ": cannot read " + path + ": " + e.getMessage());
        }
    }

    /** An {@code http(s)://} URL's body, when its host is allowed; redirects are not followed. */
    private byte[] fetch(String url, String param) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw ApiError.invalid(param, param + ": not a valid URL: " + e.getMessage());
        }
        String host = uri.getHost();
        if (host == null || uri.getUserInfo() != null) {
            throw ApiError.invalid(param, param + ": the URL must name a host (and no user name)");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        boolean defaultPort = uri.getPort() < 0 || port == (scheme.equals("https") ? 443 : 80);
        String h = host.toLowerCase(Locale.ROOT);
        boolean allowed = sources.hosts().contains(h + ":" + port) || (defaultPort && sources.hosts().contains(h));
        if (!allowed) {
            throw ApiError.invalid(param, param + ": " + scheme + ": URLs are fetched only from the hosts this server "
                    + "allows (image_sources.hosts), and " + h + (uri.getPort() >= 0 ? ":" + port : "") + " is not one of them"
                    + "; send the image inline as data:image/png;base64,...");
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(sources.timeoutSeconds())).GET()
                .build();
        HttpResponse<InputStream> response;
        try {
            response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw ApiError.invalid(param, param + ": fetching " + url + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.invalid(param, param + ": fetching " + url + " was interrupted");
        }
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status / 100 == 3) {
                throw ApiError.invalid(param, param + ": " + url + " answered " + status + " (a redirect); redirects are "
                        + "not followed, give the final URL");
            }
            if (status != 200) {
                throw ApiError.invalid(param, param + ": " + url + " answered HTTP " + status);
            }
            byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, sources.maxBytes() + 1));
            if (bytes.length > sources.maxBytes()) {
                throw ApiError.invalid(param, param + ": " + url + " is larger than the " + sources.maxBytes()
                        + " bytes this server reads (image_sources.max_bytes)");
            }
            return bytes;
        } catch (IOException e) {
            throw ApiError.invalid(param, param + ": reading " + url + " failed: " + e.getMessage());
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(Duration.ofSeconds(sources.timeoutSeconds())).build();
                }
                c = http;
            }
        }
        return c;
    }

    private String allowedSuffix() {
        if (folders.isEmpty() && sources.hosts().isEmpty()) {
            return "";
        }
        return (folders.isEmpty() ? "" : ", or as a file: URL inside image_sources.files")
                + (sources.hosts().isEmpty() ? "" : ", or as an http(s): URL of a host in image_sources.hosts");
    }
}
