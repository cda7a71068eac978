package org.mix4j.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.mix4j.records.RecordPaths;

/**
 * Image-caption pairs for the {@code contrastive} and {@code diffusion} objectives, from a JSON
 * array or JSONL: {@code {"image": "a.png", "caption": "a red sun"}}, optionally with a
 * {@code "label"} string (pictures with the same label are each other's matches image to image, in
 * the contrastive objective's {@code image_to_image} term and its eval). The Hugging Face imagefolder
 * spelling ({@code metadata.jsonl} with {@code file_name} and {@code text}) reads too. Image paths
 * resolve against the data file's folder; a bad record is an error naming the file and line.
 */
public final class CaptionData {

    /**
     * @param where {@code FILE:LINE} or {@code FILE[INDEX]}, for messages
     * @param label the record's {@code "label"}, or {@code null}
     */
    public record Pair(String where, Path image, String caption, String label) {

        public Pair(String where, Path image, String caption) {
            this(where, image, caption, null);
        }
    }

    private CaptionData() {}

    public static List<Pair> read(Path file) {
        Path base = RecordPaths.base(file);
        return JsonRecords.read(file).stream().map(e -> pair(e.where(), e.json(), base)).toList();
    }

    /**
     * {@link #read}, and every image file checked to exist before minutes of model loading (not at the
     * sample's step): a missing one is an error naming the data file and line.
     */
    public static List<Pair> readExisting(Path file) {
        List<Pair> pairs = read(file);
        for (Pair pair : pairs) {
            if (!java.nio.file.Files.isRegularFile(pair.image())) {
                throw new IllegalArgumentException(pair.where() + ": no such image file " + pair.image());
            }
        }
        return pairs;
    }

    private static Pair pair(String where, JsonElement json, Path base) {
        if (!json.isJsonObject()) {
            throw new IllegalArgumentException(where + ": a sample must be a JSON object with \"image\" and \"caption\"");
        }
        JsonObject o = json.getAsJsonObject();
        JsonElement image = o.has("image") ? o.get("image") : o.get("file_name");
        JsonElement caption = o.has("caption") ? o.get("caption") : o.get("text");
        if (image == null || image.isJsonNull()) {
            throw new IllegalArgumentException(where + ": no \"image\" (or \"file_name\")");
        }
        if (caption == null || !caption.isJsonPrimitive() || caption.getAsString().isBlank()) {
            throw new IllegalArgumentException(where + ": \"caption\" (or \"text\") must be a non-empty string");
        }
        JsonElement label = o.get("label");
        if (label != null && !label.isJsonNull()
                && (!label.isJsonPrimitive() || !label.getAsJsonPrimitive().isString() || label.getAsString().isBlank())) {
            throw new IllegalArgumentException(where + ": \"label\" must be a non-empty string, not " + label);
        }
        return new Pair(where, RecordPaths.path(where, "image", image, base), caption.getAsString(),
                label == null || label.isJsonNull() ? null : label.getAsString());
    }
}
