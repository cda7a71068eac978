package org.mix4j.data.records;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The sample formats {@code mix data} reads and writes, each in a JSON array or JSONL:
 * <ul>
 * <li>{@code llava}: {@code {"image": "a.jpg" or [...], "conversations": [{"from": "human", "value":
 *     "<image>\nWhat is it?"}, {"from": "gpt", "value": "A cat."}]}}</li>
 * <li>{@code sharegpt} (LLaMA-Factory's): {@code {"conversations": [...], "images": [...], "system": "..."}}</li>
 * <li>{@code openai}: {@code {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url":
 *     {"url": "a.jpg"}}, {"type": "text", "text": "What is it?"}]}, ...]}}</li>
 * <li>{@code caption}: {@code {"image": "a.jpg", "caption": "a cat"}} (or {@code file_name}, {@code text});
 *     as a conversation: the prompt ({@code prompt} field, or the default) answered by the caption</li>
 * </ul>
 * Fields a format does not define are kept (top level and per message), so converting and back
 * keeps them. A record that does not fit is a {@link IllegalArgumentException} naming it.
 */
public enum Format {
    LLAVA {
        @Override
        public Sample read(JsonObject o, String where, String base, String captionPrompt) {
            JsonObject extra = without(o, "image", "conversations");
            List<String> images = strings(where, "image", o.get("image"));
            return new Sample(where, base, images, fromValueTurns(where, o.get("conversations")), extra.toString());
        }

        @Override
        public JsonObject write(Sample s, String captionPrompt) {
            JsonObject o = s.extraObject();
            if (s.images().size() == 1) {
                o.addProperty("image", s.images().get(0));
            } else if (!s.images().isEmpty()) {
                o.add("image", array(s.images()));
            }
            o.add("conversations", toValueTurns(s.turns()));
            return o;
        }
    },
    SHAREGPT {
        @Override
        public Sample read(JsonObject o, String where, String base, String captionPrompt) {
            JsonObject extra = without(o, "images", "conversations", "system");
            List<Sample.Turn> turns = new ArrayList<>();
            JsonElement system = o.get("system");
            if (system != null && !system.isJsonNull()) {
                turns.add(new Sample.Turn("system", string(where, "system", system), "{}"));
            }
            turns.addAll(fromValueTurns(where, o.get("conversations")));
            return new Sample(where, base, strings(where, "images", o.get("images")), turns, extra.toString());
        }

        @Override
        public JsonObject write(Sample s, String captionPrompt) {
            JsonObject o = s.extraObject();
            List<Sample.Turn> turns = s.turns();
            if (!turns.isEmpty() && turns.get(0).role().equals("system") && turns.get(0).extra().equals("{}")) {
                o.addProperty("system", turns.get(0).text());
                turns = turns.subList(1, turns.size());
            }
            o.add("conversations", toValueTurns(turns));
            if (!s.images().isEmpty()) {
                o.add("images", array(s.images()));
            }
            return o;
        }
    },
    OPENAI {
        @Override
        public Sample read(JsonObject o, String where, String base, String captionPrompt) {
            return OpenAiMessages.read(o, where, base);
        }

        @Override
        public JsonObject write(Sample s, String captionPrompt) {
            return OpenAiMessages.write(s);
        }
    },
    CAPTION {
        @Override
        public Sample read(JsonObject o, String where, String base, String captionPrompt) {
            String imageKey = o.has("image") ? "image" : "file_name";
            String captionKey = o.has("caption") ? "caption" : "text";
            JsonObject extra = without(o, imageKey, captionKey, "prompt");
            if (o.get(imageKey) == null || o.get(captionKey) == null) {
                throw new IllegalArgumentException(where + ": an image-caption pair needs \"image\" (or \"file_name\") "
                        + "and \"caption\" (or \"text\")");
            }
            String prompt = o.has("prompt") ? string(where, "prompt", o.get("prompt")) : captionPrompt;
            List<Sample.Turn> turns = List.of(new Sample.Turn("user", Sample.IMAGE + "\n" + prompt, "{}"),
                    new Sample.Turn("assistant", string(where, captionKey, o.get(captionKey)), "{}"));
            return new Sample(where, base, List.of(string(where, imageKey, o.get(imageKey))), turns, extra.toString());
        }

        @Override
        public JsonObject write(Sample s, String captionPrompt) {
            List<Sample.Turn> users = s.turns().stream().filter(t -> t.role().equals("user")).toList();
            List<Sample.Turn> answers = s.turns().stream().filter(t -> t.role().equals("assistant")).toList();
            if (s.images().size() != 1 || answers.size() != 1 || users.size() > 1
                    || users.size() + answers.size() != s.turns().size()) {
                throw new IllegalArgumentException(s.where() + ": an image-caption pair holds one image and one answer; "
                        + "this sample has " + s.images().size() + " image(s) and " + s.turns().size() + " message(s)");
            }
            JsonObject o = s.extraObject();
            o.addProperty("image", s.images().get(0));
            o.addProperty("caption", answers.get(0).text());
            String prompt = users.isEmpty() ? "" : users.get(0).text().replaceFirst("^" + Sample.IMAGE + "\n?", "");
            if (!prompt.equals(captionPrompt)) {
                o.addProperty("prompt", prompt); // kept, so converting back gives the same conversation
            }
            return o;
        }
    };

    /** The prompt a caption answers when a pair becomes a conversation (the synthetic data's stage-1 prompt). */
    public static final String DEFAULT_CAPTION_PROMPT = "Describe the picture.";

    private static final Map<String, String> ROLES = Map.of("human", "user", "user", "user", "gpt", "assistant",
            "assistant", "assistant", "system", "system");

    /** Reads one record of this format. */
    public abstract Sample read(JsonObject record, String where, String base, String captionPrompt);

    /** Writes a sample as a record of this format. */
    public abstract JsonObject write(Sample sample, String captionPrompt);

    /** The name on the command line: {@code llava}, {@code sharegpt}, {@code openai}, {@code caption}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Format parse(String name) {
        for (Format f : values()) {
            if (f.id().equals(name.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "'; known: "
                + Arrays.stream(values()).map(Format::id).toList());
    }

    /**
     * The format a record looks like, or {@code null} when it could be LLaVA or ShareGPT (a
     * conversation without images) or fits none.
     */
    public static Format recognise(JsonObject o) {
        if (o.has("messages")) {
            return OPENAI;
        }
        if (o.has("conversations")) {
            return o.has("images") ? SHAREGPT : o.has("image") ? LLAVA : null;
        }
        boolean image = o.has("image") || o.has("file_name");
        boolean caption = o.has("caption") || o.has("text");
        return image && caption ? CAPTION : null;
    }

    static JsonObject without(JsonObject o, String... keys) {
        JsonObject copy = o.deepCopy();
        Set.of(keys).forEach(copy::remove);
        return copy;
    }

    static String string(String where, String key, JsonElement e) {
        if (e == null || !e.isJsonPrimitive()) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be a string, got " + e);
        }
        return e.getAsString();
    }

    static List<String> strings(String where, String key, JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        if (!e.isJsonArray()) {
            return List.of(string(where, key, e));
        }
        List<String> out = new ArrayList<>();
        for (JsonElement item : e.getAsJsonArray()) {
            out.add(string(where, key, item));
        }
        return out;
    }

    static JsonArray array(List<String> values) {
        JsonArray a = new JsonArray();
        values.forEach(v -> a.add(new JsonPrimitive(v)));
        return a;
    }

    private static List<Sample.Turn> fromValueTurns(String where, JsonElement conversations) {
        if (conversations == null || !conversations.isJsonArray()) {
            throw new IllegalArgumentException(where + ": \"conversations\" must be an array of {\"from\", \"value\"} messages");
        }
        List<Sample.Turn> turns = new ArrayList<>();
        for (JsonElement e : conversations.getAsJsonArray()) {
            if (!e.isJsonObject() || !e.getAsJsonObject().has("from") || !e.getAsJsonObject().has("value")) {
                throw new IllegalArgumentException(where + ": each message needs \"from\" and \"value\", got " + e);
            }
            JsonObject m = e.getAsJsonObject();
            String from = string(where, "from", m.get("from"));
            turns.add(new Sample.Turn(ROLES.getOrDefault(from, from), string(where, "value", m.get("value")),
                    without(m, "from", "value").toString()));
        }
        return turns;
    }

    private static JsonArray toValueTurns(List<Sample.Turn> turns) {
        JsonArray a = new JsonArray();
        for (Sample.Turn t : turns) {
            JsonObject m = new JsonObject();
            m.addProperty("from", switch (t.role()) {
                case "user" -> "human";
                case "assistant" -> "gpt";
                default -> t.role();
            });
            m.addProperty("value", t.text());
            com.google.gson.JsonParser.parseString(t.extra()).getAsJsonObject().entrySet()
                    .forEach(x -> m.add(x.getKey(), x.getValue()));
            a.add(m);
        }
        return a;
    }
}
