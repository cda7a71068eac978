package org.mix4j.training;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such data file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        Path base = file.toAbsolutePath().getParent();
        List<Sample> out = new ArrayList<>();
        String trimmed = text.stripLeading();
        if (trimmed.startsWith("[")) {
            JsonArray array;
            try {
                array = JsonParser.parseString(text).getAsJsonArray();
            } catch (JsonParseException | IllegalStateException e) {
                throw new IllegalArgumentException(file + ": not a JSON array of samples: " + firstLine(e.getMessage()));
            }
            for (int i = 0; i < array.size(); i++) {
                out.add(sample(file + "[" + i + "]", array.get(i), base));
            }
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                String where = file + ":" + (i + 1);
                JsonElement json;
                try {
                    json = JsonParser.parseString(lines[i]);
                } catch (JsonParseException e) {
                    throw new IllegalArgumentException(where + ": not a JSON object: " + firstLine(e.getMessage()));
                }
                out.add(sample(where, json, base));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": holds no samples");
        }
        return out;
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
                    images.add(path(where, e, base));
                }
            } else {
                images.add(path(where, image, base));
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

    private static Path path(String where, JsonElement e, Path base) {
        if (!e.isJsonPrimitive()) {
            throw new IllegalArgumentException(where + ": \"image\" must be a path or a list of paths, got " + e);
        }
        Path p = Path.of(e.getAsString());
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }
}
