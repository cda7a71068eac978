package org.mix4j.serve;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mix4j.config.Default;

/**
 * Where, besides inline {@code data:} URLs, a request's images may come from. Off by default: both
 * lists empty, so the server opens no file and reaches no host on a caller's behalf.
 *
 * @param files folders whose images {@code file:///...} URLs may name (symbolic links are followed
 *     before the check, so a link cannot lead outside); relative to the server YAML's folder
 * @param hosts hosts {@code http://} and {@code https://} URLs may name: {@code images.example.com}
 *     (the scheme's default port) or {@code images.example.com:8443}; redirects are not followed
 * @param maxBytes the largest file or response body read; a larger one is refused
 * @param timeoutSeconds how long a fetch may take, connection and body together
 */
public record ImageSources(
        @Default("[]") List<String> files,
        @Default("[]") List<String> hosts,
        @Default("10485760") long maxBytes,
        @Default("10") int timeoutSeconds) {

    private static final String HOST = "[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?";

    public ImageSources {
        files = List.copyOf(files);
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i) == null || files.get(i).isBlank()) {
                throw new IllegalArgumentException("image_sources.files[" + i + "] must be a folder, got an empty entry");
            }
        }
        List<String> lower = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i);
            if (h == null || !h.matches(HOST)) {
                throw new IllegalArgumentException("image_sources.hosts[" + i + "] must be a host name or address, "
                        + "optionally with :port (no scheme, no path, no wildcard), got '" + h + "'");
            }
            lower.add(h.toLowerCase(Locale.ROOT));
        }
        hosts = List.copyOf(lower);
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("image_sources.max_bytes must be at least 1024, got " + maxBytes);
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("image_sources.timeout_seconds must be at least 1, got " + timeoutSeconds);
        }
    }

    /** Nothing but inline images. */
    public static ImageSources none() {
        return new ImageSources(List.of(), List.of(), 10_485_760, 10);
    }

    /** These sources with {@link #files} resolved against {@code dir} (the server YAML's folder). */
    ImageSources resolve(Path dir) {
        List<String> resolved = files.stream().map(f -> dir.resolve(f).normalize().toString()).toList();
        return new ImageSources(resolved, hosts, maxBytes, timeoutSeconds);
    }

    /** These sources with other folders and hosts. */
    public ImageSources allowing(List<String> folders, List<String> hostNames) {
        return new ImageSources(folders, hostNames, maxBytes, timeoutSeconds);
    }
}
