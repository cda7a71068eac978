package org.mix4j.records;

import com.google.gson.JsonElement;
import java.nio.file.Path;

/** Paths named in data records: absolute, or relative to the data file's folder. */
public final class RecordPaths {

    private RecordPaths() {}

    /** The folder relative paths in {@code dataFile} resolve against. */
    public static Path base(Path dataFile) {
        return dataFile.toAbsolutePath().getParent();
    }

    /** A path field of a record: absolute, or relative to {@code base} (the data file's folder). */
    public static Path path(String where, String key, JsonElement e, Path base) {
        if (!e.isJsonPrimitive()) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be a path, got " + e);
        }
        return resolve(e.getAsString(), base);
    }

    /** {@code path} as written in a record, resolved against {@code base}. */
    public static Path resolve(String path, Path base) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    /** True for a URL ({@code http://...}, {@code data:...}) rather than a file path. */
    public static boolean isUrl(String path) {
        return path.contains("://") || path.startsWith("data:");
    }
}
