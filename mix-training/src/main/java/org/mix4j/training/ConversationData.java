package org.mix4j.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.records.JsonRecordReader;
import org.mix4j.records.RecordPaths;

/**
 * Training samples in the LLaVA format, from a JSON array or a JSONL file (one sample a line):
 * {@code {"image": "a.jpg" or ["a.jpg", ...] (optional), "conversations": [{"from": "human",
 * "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A cat."}, ...]}}. {@code from} is
 * {@code human}/{@code user}, {@code gpt}/{@code assistant} or {@code system}. Image paths resolve
 * against the data file's folder. A bad sample is an error naming the file and its line (JSONL) or
 * index (JSON).
 */
public final class ConversationData {

    /** One message of a sample. */
    public record Turn(String role, String text) {}

    /**
     * @param where {@code FILE:LINE} or {@code FILE[INDEX]}, for messages
     */
    public record Sample(String where, List<Path> images, List<Turn> turns) {

        public Sample {
            images = List.copyOf(images);
            turns = List.copyOf(turns);
        }
    }

    private ConversationData() {}

    public static List<Sample> read(Path file) {
        Path base = RecordPaths.base(file);
        return JsonRecords.read(file).stream().map(e -> sample(e, base)).toList();
    }

    /** One record of a data file whose image paths resolve against {@code base}. */
    static Sample sample(JsonRecordReader.Entry record, Path base) {
        return sample(record.where(), record.json(), base);
    }

    private static Sample sample(String where, JsonElement json, Path base) {
        if (!json.isJsonObject()) {
            throw new IllegalArgumentException(where + ": a sample must be a JSON object with \"conversations\"");
        }
        JsonObject o = json.getAsJsonObject();
        List<Path> images = new ArrayList<>();
        JsonElement image = o.get("image");
        if (image != null && !image.isJsonNull()) {
            if (image.isJsonArray()) {
                for (JsonElement e : image.getAsJsonArray()) {
                    images.add(RecordPaths.path(where, "image", e, base));
                }
            } else {
                images.add(RecordPaths.path(where, "image", image, base));
            }
        }
        JsonElement conversations = o.get("conversations");
        if (conversations == null || !conversations.isJsonArray() || conversations.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException(where + ": \"conversations\" must be a non-empty array of "
                    + "{\"from\", \"value\"} messages");
        }
        List<Turn> turns = new ArrayList<>();
        for (JsonElement e : conversations.getAsJsonArray()) {
            if (!e.isJsonObject() || !e.getAsJsonObject().has("from") || !e.getAsJsonObject().has("value")) {
                throw new IllegalArgumentException(where + ": each message needs \"from\" and \"value\", got " + e);
            }
            String from = e.getAsJsonObject().get("from").getAsString();
            String role = switch (from) {
                case "human", "user" -> "user";
                case "gpt", "assistant" -> "assistant";
                case "system" -> "system";
                default -> throw new IllegalArgumentException(where + ": unknown \"from\": \"" + from
                        + "\" (human, gpt, user, assistant, system)");
            };
            turns.add(new Turn(role, e.getAsJsonObject().get("value").getAsString()));
        }
        if (turns.stream().noneMatch(t -> t.role().equals("assistant"))) {
            throw new IllegalArgumentException(where + ": no \"gpt\" message: nothing to learn from");
        }
        return new Sample(where, images, turns);
    }
}
