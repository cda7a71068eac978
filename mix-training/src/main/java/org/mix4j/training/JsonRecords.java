package org.mix4j.training;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of a training data file: a JSON array, or JSONL (one record a line, blank lines
 * skipped), each with where it came from ({@code FILE:LINE} or {@code FILE[INDEX]}) for messages.
 */
final class JsonRecords {

    /** One record and where it is. */
    record Entry(String where, JsonElement json) {}

    private JsonRecords() {}

    static List<Entry> read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such data file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<Entry> out = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            JsonArray array;
            try {
                array = JsonParser.parseString(text).getAsJsonArray();
            } catch (JsonParseException | IllegalStateException e) {
                throw new IllegalArgumentException(file + ": not a JSON array of samples: " + firstLine(e.getMessage()));
            }
            for (int i = 0; i < array.size(); i++) {
                out.add(new Entry(file + "[" + i + "]", array.get(i)));
            }
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                String where = file + ":" + (i + 1);
                try {
                    out.add(new Entry(where, JsonParser.parseString(lines[i])));
                } catch (JsonParseException e) {
                    throw new IllegalArgumentException(where + ": not a JSON object: " + firstLine(e.getMessage()));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": holds no samples");
        }
        return out;
    }

    /** A path field: absolute, or relative to {@code base} (the data file's folder). */
    static Path path(String where, String key, JsonElement e, Path base) {
        if (!e.isJsonPrimitive()) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be a path, got " + e);
        }
        Path p = Path.of(e.getAsString());
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
