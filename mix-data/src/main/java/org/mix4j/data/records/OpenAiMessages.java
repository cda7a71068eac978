package org.mix4j.data.records;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenAI chat format: each message's {@code content} is a string or a list of
 * {@code {"type": "text", "text"}} and {@code {"type": "image_url", "image_url": {"url"}}} parts.
 * An image part becomes an {@code <image>} placeholder, parts are joined by newlines, and writing
 * splits the text at the placeholders again, so LLaVA's {@code "<image>\nWhat is it?"} goes there and back.
 */
final class OpenAiMessages {

    private OpenAiMessages() {}

    static Sample read(JsonObject o, String where, String base) {
        JsonElement messages = o.get("messages");
        if (messages == null || !messages.isJsonArray()) {
            throw new IllegalArgumentException(where + ": \"messages\" must be an array of {\"role\", \"content\"}");
        }
        List<String> images = new ArrayList<>();
        List<Sample.Turn> turns = new ArrayList<>();
        for (JsonElement e : messages.getAsJsonArray()) {
            if (!e.isJsonObject() || !e.getAsJsonObject().has("role")) {
                throw new IllegalArgumentException(where + ": each message needs \"role\" and \"content\", got " + e);
            }
            JsonObject m = e.getAsJsonObject();
            String role = Format.string(where, "role", m.get("role"));
            turns.add(new Sample.Turn(role, content(where, m.get("content"), images),
                    Format.without(m, "role", "content").toString()));
        }
        return new Sample(where, base, images, turns, Format.without(o, "messages").toString());
    }

    private static String content(String where, JsonElement content, List<String> images) {
        if (content == null || content.isJsonNull()) {
            return "";
        }
        if (content.isJsonPrimitive()) {
            return content.getAsString();
        }
        if (!content.isJsonArray()) {
            throw new IllegalArgumentException(where + ": \"content\" must be a string or a list of parts, got " + content);
        }
        List<String> parts = new ArrayList<>();
        for (JsonElement p : content.getAsJsonArray()) {
            JsonObject part = p.isJsonObject() ? p.getAsJsonObject() : new JsonObject();
            String type = part.has("type") ? part.get("type").getAsString() : "";
            switch (type) {
                case "text" -> parts.add(Format.string(where, "text", part.get("text")));
                case "image_url" -> {
                    JsonElement url = part.get("image_url");
                    JsonElement u = url != null && url.isJsonObject() ? url.getAsJsonObject().get("url") : url;
                    images.add(Format.string(where, "image_url.url", u));
                    parts.add(Sample.IMAGE);
                }
                case "image" -> { // some datasets name the part "image" with the path in "image"
                    images.add(Format.string(where, "image", part.get("image")));
                    parts.add(Sample.IMAGE);
                }
                default -> throw new IllegalArgumentException(where + ": unknown content part " + p
                        + " (text, image_url)");
            }
        }
        return String.join("\n", parts);
    }

    static JsonObject write(Sample s) {
        JsonObject o = s.extraObject();
        JsonArray messages = new JsonArray();
        int nextImage = 0;
        int unplaced = s.images().size() - (int) s.turns().stream().mapToLong(t -> count(t.text())).sum();
        for (Sample.Turn t : s.turns()) {
            JsonObject m = new JsonObject();
            m.addProperty("role", t.role());
            JsonArray parts = new JsonArray();
            if (unplaced > 0 && t.role().equals("user")) { // images without a placeholder go before the first question
                for (; unplaced > 0; unplaced--) {
                    parts.add(imagePart(s.images().get(nextImage++)));
                }
            }
            String[] segments = t.text().split(java.util.regex.Pattern.quote(Sample.IMAGE), -1);
            for (int i = 0; i < segments.length; i++) {
                String text = segments[i];
                if (i > 0) {
                    parts.add(imagePart(nextImage < s.images().size() ? s.images().get(nextImage++) : ""));
                    text = text.startsWith("\n") ? text.substring(1) : text;
                }
                if (i < segments.length - 1 && text.endsWith("\n")) {
                    text = text.substring(0, text.length() - 1);
                }
                if (!text.isEmpty() || segments.length == 1) {
                    JsonObject part = new JsonObject();
                    part.addProperty("type", "text");
                    part.addProperty("text", text);
                    parts.add(part);
                }
            }
            m.add("content", parts);
            JsonParser.parseString(t.extra()).getAsJsonObject().entrySet().forEach(x -> m.add(x.getKey(), x.getValue()));
            messages.add(m);
        }
        o.add("messages", messages);
        return o;
    }

    private static long count(String text) {
        return (text.length() - text.replace(Sample.IMAGE, "").length()) / Sample.IMAGE.length();
    }

    private static JsonObject imagePart(String url) {
        JsonObject u = new JsonObject();
        u.addProperty("url", url);
        JsonObject part = new JsonObject();
        part.addProperty("type", "image_url");
        part.add("image_url", u);
        return part;
    }
}
